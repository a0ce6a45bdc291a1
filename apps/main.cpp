// docketcard: personalize, lock and verify Secure Docket Card chips.
//
// This file owns the process: it builds the CLI, runs the chosen subcommand, and turns every
// error into a message on stderr (and a JSON error document with --json) and one exit code.

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

void add_common_flags(CLI::App& sub, GlobalOptions& globals) {
    sub.add_flag("--json", globals.json, "Print one machine-readable JSON result on stdout");
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
        "CODE");
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
                          "Wait up to SECONDS (30 when no number is given) for a card in the reader; without "
                          "--wait an empty reader is exit 4 at once")
        ->expected(0, 1)
        ->default_str("30")
        ->type_name("[SECONDS]")
        ->check(CLI::Range(1, 86400));
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

namespace {

int report_error(const GlobalOptions& globals, ErrorKind kind, const std::string& message) {
    const int code = exit_code_for(kind);
    fmt::print(stderr, "docketcard: error: {}\n", message);
    if (globals.json) {
        print_json({{"ok", false},
                    {"error", {{"kind", to_string(kind)}, {"message", message}, {"exit_code", code}}}});
    }
    return code;
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
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
        std::string sub = failed != nullptr && failed->get_parent() != nullptr ? " " + failed->get_name() : "";
        return fmt::format("docketcard: error: {}\nRun 'docketcard{} --help' for the options.\n",
                           locate_config_error(e.what()), sub);
    });

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
        app.exit(e);
        return exit_code::usage;
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
