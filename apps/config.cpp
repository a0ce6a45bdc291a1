#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

namespace docketcard::app {

namespace {

ConfigState g_state;
std::vector<std::string> g_command_line;   // argv, to tell a command-line option from a file one

const char* const default_config = "/etc/docketcard/docketcard.toml";

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool on_command_line(const std::string& key) {
    const std::string opt = "--" + key;
    return std::any_of(g_command_line.begin(), g_command_line.end(),
                       [&](const std::string& a) { return a == opt || a.rfind(opt + "=", 0) == 0; });
}

// CLI11's TOML reader, plus: the line of every item (for messages and `config --show`), a check
// of every key against the commands' options, top-level keys fanned out to every command that has
// the option, and items dropped whose environment variable is set (environment beats the file;
// CLI11 itself applies the file before the environment).
class StationConfig final : public CLI::ConfigTOML {
public:
    explicit StationConfig(CLI::App& app) : app_(app) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        std::stringstream text;
        text << input.rdbuf();
        const std::string file = g_state.file.empty() ? std::string("the config file") : g_state.file;

        // Line of each key, by section, as written.
        std::map<std::string, int> lines;
        {
            std::istringstream in(text.str());
            std::string raw, section;
            for (int n = 1; std::getline(in, raw); ++n) {
                const std::string l = trim(raw);
                if (l.empty() || l[0] == '#' || l[0] == ';') continue;
                if (l.front() == '[' && l.back() == ']') {
                    section = trim(l.substr(1, l.size() - 2));
                    continue;
                }
                const auto eq = l.find('=');
                if (eq == std::string::npos) {
                    throw CLI::ConfigError(fmt::format("{} line {}: '{}' is not a setting; write KEY = VALUE", file, n, l));
                }
                lines.emplace((section.empty() ? "" : section + ".") + trim(l.substr(0, eq)), n);
            }
        }

        std::istringstream again(text.str());
        const std::vector<CLI::ConfigItem> parsed = CLI::ConfigTOML::from_config(again);
        // A command's own section beats a top-level key: CLI11 keeps the first value it applies.
        std::vector<CLI::ConfigItem> out, top_level;
        g_state.entries.clear();
        for (const auto& item : parsed) {
            if (item.name == "++" || item.name == "--") continue;
            const std::string section = item.parents.empty() ? std::string() : item.parents.front();
            const std::string full = item.fullname();
            const int line = lines.count(full) ? lines.at(full) : 0;
            if (item.parents.size() > 1) throw unknown(file, full, line, "sections are one command name deep");
            std::vector<CLI::App*> targets;
            if (!section.empty()) {
                CLI::App* sub = app_.get_subcommand_ptr(section).get();
                if (sub == nullptr || !accepts(*sub, item.name)) throw unknown(file, full, line, "");
                targets.push_back(sub);
            } else {
                for (CLI::App* sub : app_.get_subcommands({})) {
                    if (accepts(*sub, item.name)) targets.push_back(sub);
                }
                if (targets.empty()) throw unknown(file, full, line, "");
            }
            std::string value;
            for (const auto& v : item.inputs) value += (value.empty() ? "" : ", ") + v;
            g_state.entries.push_back({section, item.name, value, line});
            if (is_env_key(item.name) && std::getenv(environment_name(item.name).c_str()) != nullptr) continue;
            for (CLI::App* sub : targets) {
                CLI::ConfigItem copy = item;
                copy.parents = {sub->get_name()};
                (section.empty() ? top_level : out).push_back(std::move(copy));
            }
        }
        out.insert(out.end(), top_level.begin(), top_level.end());
        return out;
    }

private:
    static bool accepts(const CLI::App& sub, const std::string& key) {
        const CLI::Option* opt = sub.get_option_no_throw("--" + key);
        return opt != nullptr && opt->get_configurable() && key != "help";
    }

    static bool is_env_key(const std::string& key) {
        const auto& keys = environment_keys();
        return std::find(keys.begin(), keys.end(), key) != keys.end();
    }

    CLI::ConfigError unknown(const std::string& file, const std::string& key, int line, const std::string& why) const {
        std::string accepted;
        for (const CLI::App* sub : app_.get_subcommands({})) {
            std::string names;
            for (const CLI::Option* o : sub->get_options()) {
                if (!o->get_lnames().empty() && o->get_configurable() && o->get_lnames().front() != "help")
                    names += (names.empty() ? "" : ", ") + o->get_lnames().front();
            }
            if (!names.empty()) accepted += fmt::format("\n  [{}] {}", sub->get_name(), names);
        }
        return CLI::ConfigError(fmt::format("{} line {}: unknown key '{}'{}; the keys accepted (at the top level for "
                                            "every command that has the option, or in a [command] section):{}",
                                            file, line, key, why.empty() ? "" : " (" + why + ")", accepted));
    }

    CLI::App& app_;
};

}  // namespace

const std::vector<std::string>& environment_keys() {
    static const std::vector<std::string> keys{"reader", "keys", "csca", "journal", "document-code", "wait"};
    return keys;
}

std::string environment_name(const std::string& key) {
    std::string name = "DOCKETCARD_";
    for (const char c : key) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

void setup_config(CLI::App& app, const char* const* argv, int argc) {
    g_command_line.assign(argv + 1, argv + argc);
    g_state = {};
    for (CLI::App* sub : app.get_subcommands({})) {
        for (const std::string& key : environment_keys()) {
            if (CLI::Option* opt = sub->get_option_no_throw("--" + key)) opt->envname(environment_name(key));
        }
    }
    // Which file, for messages and `config --show` (CLI11 reads it in the same order).
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) {
            file = argv[i + 1];
            g_state.file_source = "--config";
        } else if (a.rfind("--config=", 0) == 0) {
            file = a.substr(9);
            g_state.file_source = "--config";
        }
    }
    if (file.empty()) {
        if (const char* env = std::getenv("DOCKETCARD_CONFIG"); env != nullptr && *env != '\0') {
            file = env;
            g_state.file_source = "$DOCKETCARD_CONFIG";
        } else if (std::filesystem::exists(default_config)) {
            file = default_config;
            g_state.file_source = "default";
        }
    }
    g_state.file = file;
    app.config_formatter(std::make_shared<StationConfig>(app));
    // CLI11 2.1 reads no environment variable for the config file: give it $DOCKETCARD_CONFIG as
    // the default, required then (a named file that is missing is an error, the system default
    // is only read when present).
    CLI::Option* opt = app.set_config("--config", g_state.file_source == "$DOCKETCARD_CONFIG" ? file : default_config,
                                      "Config file of defaults for every command (default: $DOCKETCARD_CONFIG, else "
                                      "/etc/docketcard/docketcard.toml when it exists); see `docketcard config --show`");
    opt->type_name("FILE");
    if (g_state.file_source == "$DOCKETCARD_CONFIG") opt->required();
}

const ConfigState& config_state() { return g_state; }

std::string locate_config_error(const std::string& message) {
    const ConfigEntry* best = nullptr;
    for (const auto& e : g_state.entries) {
        if (on_command_line(e.key)) continue;
        if (std::getenv(environment_name(e.key).c_str()) != nullptr &&
            std::find(environment_keys().begin(), environment_keys().end(), e.key) != environment_keys().end())
            continue;
        const std::string opt = "--" + e.key;
        const auto at = message.find(opt);
        if (at == std::string::npos) continue;
        const char after = at + opt.size() < message.size() ? message[at + opt.size()] : ' ';
        if (std::isalnum(static_cast<unsigned char>(after)) || after == '-') continue;
        if (best == nullptr || e.key.size() > best->key.size()) best = &e;
    }
    if (best == nullptr) return message;
    return fmt::format("{} line {}: key '{}{}' = {}: {}", g_state.file, best->line,
                       best->section.empty() ? "" : best->section + ".", best->key, best->value, message);
}

}  // namespace docketcard::app
