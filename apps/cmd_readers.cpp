// `docketcard readers`: the PC/SC readers with card presence and ATR; --watch streams card
// insertions and removals until interrupted (docs/cli.md, "readers").

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include <pthread.h>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::app {

namespace {

struct ReadersOptions {
    bool watch = false;
    bool names = false;
    std::string reader;
};

nlohmann::json reader_json(std::size_t index, const transport::ReaderState& r) {
    return {{"index", index},
            {"name", r.name},
            {"identity", r.identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.identity)},
            {"card_present", r.card_present},
            {"in_use", r.in_use},
            {"atr", r.card_present && !r.atr.empty() ? nlohmann::json(to_hex(r.atr)) : nlohmann::json(nullptr)}};
}

std::string reader_line(std::size_t index, const transport::ReaderState& r) {
    std::string line = fmt::format("{}: {}  ", index, r.name);
    if (!r.identity.empty()) line += fmt::format("[serial:{}]  ", r.identity);
    if (!r.card_present)
        return line + (r.name.rfind("sim:", 0) == 0 ? "no card (the card file does not exist; write makes a blank card there)"
                                                    : "no card");
    line += "card present";
    if (r.in_use) line += " (in use by another program)";
    if (!r.atr.empty()) line += "  ATR " + to_hex(r.atr);
    return line;
}

void print_list(const GlobalOptions& g, const std::vector<transport::ReaderState>& readers) {
    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < readers.size(); ++i) list.push_back(reader_json(i, readers[i]));
        print_json({{"ok", true}, {"readers", list}});
        return;
    }
    if (readers.empty()) {
        std::cout << "no readers" << std::endl;
        std::cerr << "docketcard: no PC/SC reader is connected; plug one in, or use a sim:PATH reader "
                     "(no PC/SC service needed)\n";
        return;
    }
    for (std::size_t i = 0; i < readers.size(); ++i) std::cout << reader_line(i, readers[i]) << "\n";
    std::cout.flush();
}

void print_event(const GlobalOptions& g, const transport::ReaderEvent& e) {
    if (g.json) {
        nlohmann::json j{{"event", transport::to_string(e.kind)}, {"reader", e.reader}};
        if (e.kind == transport::ReaderEvent::Kind::CardInserted) j["atr"] = to_hex(e.atr);
        std::cout << j.dump() << std::endl;
        return;
    }
    std::string line = fmt::format("{}  {}", transport::to_string(e.kind), e.reader);
    if (e.kind == transport::ReaderEvent::Kind::CardInserted) line += "  ATR " + to_hex(e.atr);
    std::cout << line << std::endl;
}

// SIGINT/SIGTERM are blocked in every thread and taken by one waiter thread, which cancels the
// pending SCardGetStatusChange (SCardCancel is not async-signal-safe, so no signal handler).
int watch(const GlobalOptions& g) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    transport::ReaderMonitor monitor;
    const auto initial = monitor.initial();
    if (g.json) {
        for (std::size_t i = 0; i < initial.size(); ++i) {
            nlohmann::json j = reader_json(i, initial[i]);
            j["event"] = "reader";
            std::cout << j.dump() << std::endl;
        }
    } else {
        if (initial.empty()) std::cout << "no readers" << std::endl;
        for (std::size_t i = 0; i < initial.size(); ++i) std::cout << reader_line(i, initial[i]) << std::endl;
        std::cerr << "docketcard: watching for cards; press Ctrl-C to stop\n";
    }

    std::atomic<bool> stop{false}, done{false};
    std::thread waiter([&] {
        int sig = 0;
        sigwait(&set, &sig);
        stop = true;
        if (!done) monitor.cancel();
    });
    int code = exit_code::ok;
    try {
        while (!stop) {
            const auto events = monitor.wait(std::nullopt);
            if (!events) break;  // cancelled by the waiter
            for (const auto& e : *events) print_event(g, e);
        }
    } catch (...) {
        done = true;
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
        throw;
    }
    done = true;
    if (!stop) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return code;
}

void register_readers(CLI::App& app, GlobalOptions& g, Action& run) {
    auto opts = std::make_shared<ReadersOptions>();
    CLI::App* sub = app.add_subcommand("readers", "List card readers, whether a card is present, and its ATR");
    add_common_flags(*sub, g);
    sub->add_flag("--watch", opts->watch,
                  "Keep running and print one line per card insertion or removal until interrupted (Ctrl-C)");
    sub->add_flag("--names", opts->names,
                  "Print only the PC/SC reader names, one per line (for scripts and shell completion)");
    sub->add_option("--reader", opts->reader,
                    "Show only this reader (PC/SC name, unique part of a name, index, serial:VALUE or sim:PATH)")
        ->type_name("NAME");
    sub->footer(help_footer({"# List the readers, then watch card insertions and removals until Ctrl-C:",
                             "docketcard readers", "docketcard readers --watch"},
                            {{exit_code::ok, "also when --watch is stopped with Ctrl-C"},
                             {exit_code::usage},
                             {exit_code::communication, "the PC/SC service is not running (the message says how to "
                                                        "start it)"}}));
    sub->callback([&g, &run, opts] {
        run = [&g, opts]() -> int {
            if (opts->watch) {
                if (!opts->reader.empty()) throw Error(ErrorKind::Usage, "--watch watches every PC/SC reader; drop --reader");
                return watch(g);
            }
            if (opts->names) {
                if (opts->watch || !opts->reader.empty() || g.json)
                    throw Error(ErrorKind::Usage, "--names prints every reader name; drop --watch, --reader and --json");
                for (const auto& r : transport::list_readers()) std::cout << r.name << "\n";
                std::cout.flush();
                return exit_code::ok;
            }
            if (!opts->reader.empty()) {
                auto reader = transport::open_reader(transport::parse_reader(opts->reader));
                print_list(g, {reader->state()});
                return exit_code::ok;
            }
            print_list(g, transport::list_readers());
            return exit_code::ok;
        };
    });
}

}  // namespace

DOCKETCARD_COMMAND(register_readers);

}  // namespace docketcard::app
