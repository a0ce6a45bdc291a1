// The station's config file (docs/cli.md, "Config file"): defaults for every command's options,
// read with CLI11's own TOML-style config support (App::set_config). Which file: --config FILE,
// else $DOCKETCARD_CONFIG, else /etc/docketcard/docketcard.toml when it exists. Precedence of a
// setting: command-line option > environment variable (DOCKETCARD_READER, ...) > config file.
//
//   reader = "serial:RR474-0012"   # a top-level key applies to every command that has the option
//   [write]
//   keys = "/srv/keys"             # a section applies to one command
#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace docketcard::app {

/// One setting of the config file, as read.
struct ConfigEntry {
    std::string section;   ///< the command ("write"), or empty for a top-level key
    std::string key;       ///< the option's long name ("document-code")
    std::string value;     ///< as written, joined by ", " for an array
    int line = 0;          ///< 1-based line in the file
};

/// What was read for this run.
struct ConfigState {
    std::string file;          ///< the config file read, empty when none
    std::string file_source;   ///< "--config", "$DOCKETCARD_CONFIG" or "default"
    std::vector<ConfigEntry> entries;
};

/// The options that also take an environment variable: DOCKETCARD_ and the option's long name in
/// upper case with '_' for '-' (reader -> DOCKETCARD_READER).
const std::vector<std::string>& environment_keys();
std::string environment_name(const std::string& key);

/// Puts --config on `app` with the lookup order above and the config reader that checks every key
/// (unknown key: CLI::ConfigError naming the file, the key and the line), applies top-level keys
/// to every command that has the option, and lets an environment variable override the file.
/// Call after every subcommand is registered.
void setup_config(CLI::App& app, const char* const* argv, int argc);

/// The state of the last setup_config()/parse.
const ConfigState& config_state();

/// For a CLI11 error raised while applying the config file (a bad value): the message with the
/// file, key and line of the setting in front; `message` unchanged otherwise.
std::string locate_config_error(const std::string& message);

}  // namespace docketcard::app
