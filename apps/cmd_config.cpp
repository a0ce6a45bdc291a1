// `docketcard config --show`: the settings of the config file and the environment in effect, and
// where each came from (docs/cli.md, "Config file").

#include <cstdlib>
#include <iostream>

#include <fmt/core.h>

#include "cli.hpp"
#include "config.hpp"

namespace docketcard::app {

namespace {

int run_show(const GlobalOptions& g) {
    const ConfigState& st = config_state();
    nlohmann::json settings = nlohmann::json::array();
    std::vector<std::string> lines;
    const auto add = [&](const std::string& name, const std::string& value, const std::string& source) {
        settings.push_back({{"setting", name}, {"value", value}, {"source", source}});
        lines.push_back(fmt::format("{} = {}    # {}", name, value, source));
    };
    for (const auto& key : environment_keys()) {
        if (const char* v = std::getenv(environment_name(key).c_str()); v != nullptr && *v != '\0')
            add(key, v, "environment " + environment_name(key) + " (beats the file)");
    }
    for (const auto& e : st.entries) {
        const std::string name = (e.section.empty() ? "" : e.section + ".") + e.key;
        const char* env = std::getenv(environment_name(e.key).c_str());
        const bool overridden = env != nullptr && *env != '\0' &&
                                std::find(environment_keys().begin(), environment_keys().end(), e.key) !=
                                    environment_keys().end();
        add(name, e.value,
            fmt::format("{} line {}{}", st.file, e.line,
                        overridden ? ", overridden by " + environment_name(e.key) : ""));
    }
    const std::string file_line =
        st.file.empty() ? "no config file (none given, $DOCKETCARD_CONFIG unset, /etc/docketcard/docketcard.toml absent)"
                        : fmt::format("config file {} (from {})", st.file, st.file_source);
    if (g.json) {
        print_json({{"ok", true},
                    {"file", st.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(st.file)},
                    {"file_source", st.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(st.file_source)},
                    {"settings", settings}});
        return exit_code::ok;
    }
    fmt::print("# {}\n", file_line);
    if (lines.empty()) fmt::print("# no settings: every option comes from the command line\n");
    for (const auto& l : lines) fmt::print("{}\n", l);
    fmt::print("# a command-line option beats both\n");
    return exit_code::ok;
}

void register_config(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto show = std::make_shared<bool>(false);
    CLI::App* sub = app.add_subcommand("config", "Show the config file's and environment's settings and where each came from");
    sub->add_flag("--show", *show, "Print every setting in effect with its source (file and line, or environment)")
        ->required();
    sub->add_flag("--json", globals.json, "Print one machine-readable JSON result on stdout")->configurable(false);
    sub->footer(
        "Precedence: command-line option > environment (DOCKETCARD_READER, DOCKETCARD_KEYS, DOCKETCARD_CSCA,\n"
        "DOCKETCARD_JOURNAL, DOCKETCARD_DOCUMENT_CODE, DOCKETCARD_WAIT) > config file.\n\n" +
        help_footer({"# The settings in effect at this station, and where each came from:",
                     "docketcard config --show",
                     "DOCKETCARD_READER=0 docketcard --config /etc/docketcard/docketcard.toml config --show"},
                    {{exit_code::ok},
                     {exit_code::usage, "unknown key or bad value in the config file (file, key and line named)"}}));
    sub->callback([show, &globals, &run] { run = [show, &globals] { return run_show(globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_config);

}  // namespace docketcard::app
