// docketcard: personalize, lock and verify Secure Docket Card chips.
//
// This file owns the process: it builds the CLI, runs the chosen subcommand, and turns every
// error into a message on stderr (and a JSON error document with --json) and one exit code.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <vector>

#include <fmt/core.h>

#include "cli.hpp"
#include "config.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/trace.hpp"

namespace docketcard::app {

namespace {
std::vector<Registrar>& registrars() {
    static std::vector<Registrar> list;
    return list;
}
}  // namespace

bool register_command(Registrar registrar) {
    registrars().push_back(registrar);
    return true;
}

int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Usage: return exit_code::usage;
        case ErrorKind::InvalidInput: return exit_code::invalid_input;
        case ErrorKind::Communication: return exit_code::communication;
        case ErrorKind::CardRefused: return exit_code::card_refused;
        case ErrorKind::VerificationFailed: return exit_code::verification_failed;
        case ErrorKind::WrongCardState: return exit_code::wrong_card_state;
        case ErrorKind::Journal: return exit_code::journal;
        case ErrorKind::Internal: return exit_code::internal;
    }
    return exit_code::internal;
}

const char* exit_code_meaning(int code) noexcept {
    switch (code) {
        case exit_code::ok: return "success";
        case exit_code::usage: return "usage error (bad option, value or config file setting)";
        case exit_code::invalid_input: return "invalid input (record, keys, certificate, path)";
        case exit_code::communication: return "reader or communication error (no card, card removed, no pcscd)";
        case exit_code::card_refused: return "the card refused a command or authentication failed";
        case exit_code::verification_failed: return "verification failed";
        case exit_code::wrong_card_state: return "wrong card (state, or not a Secure Docket Card)";
        case exit_code::journal: return "journal busy, locked or corrupt";
        case exit_code::batch_incomplete: return "batch incomplete";
        case exit_code::internal: return "internal error (a bug: please report it)";
        case exit_code::interrupted: return "interrupted or not confirmed";
    }
    return "unknown";
}

std::string exit_codes_footer(const std::vector<ExitNote>& codes) {
    std::string out = "Exit codes (docs/cli.md):";
    for (const auto& c : codes) {
        out += fmt::format("\n  {:>3}  {}{}", c.code, exit_code_meaning(c.code), c.detail.empty() ? "" : ": " + c.detail);
    }
    return out;
}

std::string help_footer(const std::vector<std::string>& examples, const std::vector<ExitNote>& codes) {
    std::string out = "Examples:";
    for (const auto& e : examples) out += "\n  " + e;
    return out + "\n\n" + exit_codes_footer(codes);
}

void add_common_flags(CLI::App& sub, GlobalOptions& globals, bool apdus) {
    sub.add_flag("--json", globals.json, "Print one machine-readable JSON result on stdout");
    if (apdus)
        sub.add_flag("-v,--verbose", globals.verbosity,
                     "Trace APDUs on stderr with secrets redacted (-vv: also plain data of public files)");
}

void print_json(const nlohmann::json& doc) {
    std::cout << doc.dump(2) << std::endl;
}

nlohmann::json link_json(const transport::LinkProjection& link) { return link_json(link.profile.name, link.account); }

nlohmann::json link_json(const std::string& profile, const apdu::LinkAccount& a) {
    return {{"profile", profile},
            {"commands", a.commands},
            {"bytes_out", a.bytes_out},
            {"bytes_in", a.bytes_in},
            {"line_bytes", a.cost.line_bytes},
            {"blocks", a.cost.blocks},
            {"pages_written", a.pages_written},
            {"seconds", a.cost.total()},
            {"transfer_seconds", a.cost.transfer_s},
            {"gap_seconds", a.cost.gaps_s},
            {"chip_seconds", a.cost.turnaround_s},
            {"write_seconds", a.cost.write_s}};
}

CLI::Validator document_code_validator() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            const bool ok = !v.empty() && v.size() <= 2 && (v[0] == 'A' || v[0] == 'C' || v[0] == 'I') &&
                            (v.size() == 1 || (v[1] >= 'A' && v[1] <= 'Z'));
            if (ok) return {};
            return "'" + v + "' is not a document code; accepted: 1-2 upper-case letters A-Z, the first A, C or I "
                   "(e.g. ID, IA, AC)";
        },
        "");   // the option's type name says CODE; the help says what is accepted
}

CLI::Option* add_reader_option(CLI::App& sub, std::string& reader) {
    return sub.add_option("--reader", reader,
                          "Reader: PC/SC name, unique part of a name, index, serial:VALUE (the identity `readers` "
                          "shows) or sim:PATH (an emulated card file)")
        ->type_name("NAME")
        ->required();
}

CLI::Option* add_wait_option(CLI::App& sub, std::optional<int>& wait_seconds) {
    return sub.add_option("--wait", wait_seconds,
                          "Wait up to SECONDS (1-86400; 30 when no number is given) for a card in the reader; "
                          "without --wait an empty reader is exit 4 at once")
        ->expected(0, 1)
        ->default_str("30")
        ->type_name("[SECONDS]")
        ->check(CLI::Range(1, 86400).description(""));
}

CardConnection connect_card(const std::string& reader_name, transport::ConnectOptions connect,
                            const GlobalOptions& globals, std::optional<int> wait_seconds) {
    auto reader = transport::open_reader(transport::parse_reader(reader_name));
    const auto clock = [start = std::chrono::steady_clock::now()] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    };
    if (globals.verbosity >= 1) {
        connect.trace = [clock, sink = transport::stderr_trace_sink()](const std::string& line) {
            sink(fmt::format("[{:>6} ms] {}", clock().count(), line));
        };
    }
    if (wait_seconds && reader->wait_for_card(std::chrono::milliseconds(0)) != transport::WaitResult::Ready) {
        if (!globals.json) fmt::print(stderr, "docketcard: waiting for a card in '{}' ({} s)\n", reader->name(), *wait_seconds);
        const auto r = reader->wait_for_card(std::chrono::seconds(*wait_seconds));
        if (r != transport::WaitResult::Ready) {
            throw Error(ErrorKind::Communication,
                        fmt::format("no card in reader '{}' after {} s (--wait {}). Put a card on the reader and run "
                                    "the command again.",
                                    reader->name(), *wait_seconds, *wait_seconds));
        }
    }
    CardConnection c{reader->connect(connect), std::nullopt};
    if (globals.verbosity >= 1) {
        transport::TraceOptions trace;
        trace.level = transport::TraceLevel::Wire;
        trace.sink = transport::stderr_trace_sink();
        trace.clock = clock;
        c.channel = std::make_unique<transport::TracingChannel>(std::move(c.channel), trace);
        if (globals.verbosity >= 2) {
            trace.level = transport::TraceLevel::Plain;
            c.plain_trace = trace;
        }
    }
    return c;
}

std::string path_error(const std::filesystem::path& path, const std::error_code& ec) {
    std::error_code ignored;
    if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
        for (std::filesystem::path p = path; !p.empty(); p = p.parent_path()) {
            if (std::filesystem::exists(p, ignored) && !std::filesystem::is_directory(p, ignored))
                return fmt::format("{} is a file, not a folder", p.string());
            if (p == p.parent_path()) break;
        }
    }
    std::string why = ec ? ec.message() : "unknown reason";
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return why;
}

void create_output_folder(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec && !std::filesystem::is_directory(dir, ec)) ec = std::make_error_code(std::errc::not_a_directory);
    if (ec)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("cannot create the output folder {}: {}", dir.string(), path_error(dir, ec)));
}

namespace {

// The error document of --json on stdout. One line: in a stream (readers --watch, issue) every
// JSON document is one line, and the error may end one.
void print_error_document(ErrorKind kind, const std::string& message, int code) {
    const nlohmann::json doc{{"ok", false},
                             {"error", {{"kind", to_string(kind)}, {"message", message}, {"exit_code", code}}}};
    std::cout << doc.dump() << std::endl;
}

int report_error(const GlobalOptions& globals, ErrorKind kind, const std::string& message) {
    const int code = exit_code_for(kind);
    fmt::print(stderr, "docketcard: error: {}\n", message);
    if (globals.json) print_error_document(kind, message, code);
    return code;
}

// --json among the arguments (before a "--"): a command line that did not parse still answers a
// script that asked for JSON with the error document.
bool json_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") return false;
        if (a == "--json") return true;
    }
    return false;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// The name of `names` nearest to `typed` (at most 2 edits, or `typed` a prefix of it), or "".
std::string nearest(const std::string& typed, const std::vector<std::string>& names) {
    std::string best;
    std::size_t best_d = 3;
    for (const auto& n : names) {
        std::size_t d = edit_distance(typed, n);
        if (d >= best_d && n.rfind(typed, 0) == 0 && typed.size() >= 3) d = 1;
        if (d < best_d) {
            best_d = d;
            best = n;
        }
    }
    return best;
}

CLI::App* find_command(CLI::App& app, const std::string& name) {
    for (CLI::App* sub : app.get_subcommands({}))
        if (sub->check_name(name)) return sub;
    return nullptr;
}

// The first word of the command line that is neither an option nor --config's value: the
// command, or a typo of one. Empty when there is none.
std::string first_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config") {
            ++i;
            continue;
        }
        if (!a.empty() && a[0] != '-') return a;
    }
    return {};
}

// The command the command line chose (its first word, when it names one), or the app itself.
CLI::App* chosen_command(CLI::App& app, int argc, char** argv) {
    const std::string word = first_word(argc, argv);
    CLI::App* sub = word.empty() ? nullptr : find_command(app, word);
    return sub != nullptr ? sub : &app;
}

// A mistyped option or command: CLI11 reports what it checks first (often a required option the
// typo stood for); the typo and the name meant are what helps. Empty when there is no such word.
std::string mistyped(CLI::App& app, int argc, char** argv) {
    CLI::App* cmd = chosen_command(app, argc, argv);
    if (const std::string a = first_word(argc, argv); cmd == &app && !a.empty()) {
        // No known command: the first word may be a typo of one.
        std::vector<std::string> names;
        for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
        const std::string near = nearest(a, names);
        return near.empty() ? fmt::format("unknown command '{}'", a)
                            : fmt::format("unknown command '{}'; did you mean '{}'?", a, near);
    }
    std::vector<std::string> longs;
    for (const CLI::App* a : {static_cast<const CLI::App*>(cmd), static_cast<const CLI::App*>(&app)})
        for (const CLI::Option* o : a->get_options())
            for (const auto& n : o->get_lnames()) longs.push_back("--" + n);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") break;
        if (a.rfind("--", 0) != 0) continue;
        a = a.substr(0, a.find('='));
        if (std::find(longs.begin(), longs.end(), a) != longs.end()) continue;
        const std::string near = nearest(a, longs);
        return near.empty() ? fmt::format("unknown option {}", a)
                            : fmt::format("unknown option {}; did you mean {}?", a, near);
    }
    return {};
}

// Every command-line error: "docketcard: error: ..." and where the options are listed.
int report_parse_error(CLI::App& app, int argc, char** argv, const CLI::ParseError& e) {
    std::string message = mistyped(app, argc, argv);
    if (message.empty()) message = locate_config_error(e.what());
    CLI::App* cmd = chosen_command(app, argc, argv);
    fmt::print(stderr, "docketcard: error: {}\nRun 'docketcard{} --help' for the options.\n", message,
               cmd == &app ? "" : " " + cmd->get_name());
    if (json_requested(argc, argv)) print_error_document(ErrorKind::Usage, message, exit_code::usage);
    return exit_code::usage;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"docketcard: personalize, lock and verify Secure Docket Card chips (ICAO Doc 9303 LDS)"};
    app.set_version_flag("--version", std::string("docketcard ") + DOCKETCARD_VERSION);
    app.require_subcommand(1);
    app.footer(exit_codes_footer({{exit_code::ok},
                                  {exit_code::usage},
                                  {exit_code::invalid_input},
                                  {exit_code::communication},
                                  {exit_code::card_refused},
                                  {exit_code::verification_failed},
                                  {exit_code::wrong_card_state},
                                  {exit_code::journal},
                                  {exit_code::batch_incomplete},
                                  {exit_code::internal},
                                  {exit_code::interrupted}}));
    GlobalOptions globals;
    Action action;
    for (Registrar r : registrars()) r(app, globals, action);
    setup_config(app, argv, argc);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return report_parse_error(app, argc, argv, e);
    }

    try {
        return action ? action() : exit_code::usage;
    } catch (const Error& e) {
        return report_error(globals, e.kind(), e.what());
    } catch (const CLI::Error& e) {
        return report_error(globals, ErrorKind::Usage, e.what());
    } catch (const std::exception& e) {
        return report_error(globals, ErrorKind::Internal, std::string("unexpected failure: ") + e.what());
    }
}

}  // namespace docketcard::app

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    return docketcard::app::run(argc, argv);
}
