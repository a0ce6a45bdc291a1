// `docketcard lock`: locks a completely personalized card (irreversible, docs/card-protocol.md
// LOCK 84 DA DE AD). Asks for confirmation on a terminal unless --yes.

#include <iostream>
#include <memory>
#include <string>

#include <unistd.h>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::app {

namespace {

struct LockOptions {
    std::string reader;
    std::optional<int> wait;   ///< --wait SECONDS
    std::string keys_dir;
    bool yes = false;
};

bool confirm(const std::string& serial) {
    fmt::print(stderr, "Lock card {}? This cannot be undone [y/N] ", serial);
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

int run_lock(const LockOptions& o, const GlobalOptions& g) {
    if (!o.yes && ::isatty(STDIN_FILENO) != 1) {
        throw Error(ErrorKind::Usage,
                    "locking is irreversible and there is no terminal to confirm it on: pass --yes to lock without "
                    "asking");
    }
    const auto keys = perso::IssuerKeys::load(o.keys_dir);
    transport::ConnectOptions connect;
    connect.exclusive = true;
    std::unique_ptr<transport::CardChannel> channel = connect_card(o.reader, connect, g, o.wait).channel;
    const auto info = perso::read_card_info(*channel);
    const std::string serial = info.serial_hex.value_or("(serial not shown)");
    if (!o.yes && info.state == perso::CardState::Personalized && !confirm(serial)) {
        fmt::print(stderr, "docketcard: not locked\n");
        if (g.json) print_json({{"ok", false}, {"serial", serial}, {"state", perso::to_string(info.state)}, {"locked", false}});
        return exit_code::interrupted;
    }
    perso::lock_card(*channel, keys);
    if (g.json) {
        print_json({{"ok", true}, {"serial", serial}, {"state", perso::to_string(perso::CardState::Locked)}, {"locked", true}});
    } else {
        fmt::print("card {} locked (state LOCKED)\n", serial);
    }
    return exit_code::ok;
}

void register_lock(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto options = std::make_shared<LockOptions>();
    CLI::App* sub = app.add_subcommand("lock", "Lock a completely personalized card (irreversible)");
    add_reader_option(*sub, options->reader);
    add_wait_option(*sub, options->wait);
    sub->add_option("--keys", options->keys_dir, "Keys folder with scp03-master.txt")
        ->type_name("DIR")
        ->required();   // a missing folder is exit 3, named by IssuerKeys::load
    sub->add_flag("--yes", options->yes, "Lock without asking (required when stdin is not a terminal)");
    add_common_flags(*sub, globals);
    sub->footer(help_footer({"# Lock the personalized card in reader 0 without asking (irreversible):",
                             "docketcard lock --reader 0 --keys /etc/docketcard/keys --yes"},
                            {{exit_code::ok, "locked"},
                             {exit_code::usage, "also no terminal to confirm on and no --yes"},
                             {exit_code::invalid_input, "unusable keys folder"},
                             {exit_code::communication},
                             {exit_code::card_refused},
                             {exit_code::wrong_card_state, "card not completely personalized, already locked or blocked"},
                             {exit_code::interrupted, "the operator answered no"}}));
    sub->callback([options, &globals, &run] { run = [options, &globals] { return run_lock(*options, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_lock);

}  // namespace docketcard::app
