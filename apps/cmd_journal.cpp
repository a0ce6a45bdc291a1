// docketcard journal --journal FILE|URI [--json | --csv] [--watch [SECONDS]] [--init]: the batch
// journal for audit (docs/journal.md). A SQLite file is opened read-only, so it works while a
// batch runs; it prints one line per card attempt, the records that have no attempt (pending,
// rejected), and the counts by state. A PostgreSQL URI (the shared journal of a site) prints the
// site: per station and reader, attempts by state and cards per hour; --init creates or migrates
// its schema; --watch refreshes the view on a terminal.

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/journal/audit.hpp"
#include "docketcard/journal/pg_journal.hpp"
#include "docketcard/journal/sqlite_journal.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::app {

namespace {

struct JournalOptions {
    std::string path;
    bool csv = false;
    bool init = false;
    std::optional<int> watch;   // seconds between refreshes; none: print once
};

int run_init(const JournalOptions& opts) {
    if (!journal::is_journal_uri(opts.path))
        throw Error(ErrorKind::Usage,
                    fmt::format("--init creates the schema of a PostgreSQL journal (postgresql://...); {} is a SQLite "
                                "journal path, which its first batch creates",
                                opts.path));
    const auto r = journal::init_pg_journal(opts.path);
    if (r.from == r.to)
        fmt::print("journal {}: schema version {}, already current\n", opts.path, r.to);
    else if (r.from == 0)
        fmt::print("journal {}: schema version {} created\n", opts.path, r.to);
    else
        fmt::print("journal {}: schema migrated from version {} to {}\n", opts.path, r.from, r.to);
    return exit_code::ok;
}

int run_journal(const JournalOptions& opts, const GlobalOptions& globals) {
    if (opts.init) return run_init(opts);
    const bool site = journal::is_journal_uri(opts.path);
    if (opts.watch && ::isatty(STDOUT_FILENO) != 1)
        throw Error(ErrorKind::Usage, "--watch redraws a live view and needs a terminal on standard output; without "
                                      "one, run `docketcard journal` again (e.g. from a script), or use --json");
    // A missing file is an input error (exit 3); a file that is not a journal is exit 8.
    auto journal = site ? journal::open_pg_journal_read_only(opts.path)
                        : journal::open_sqlite_journal_read_only(opts.path);
    for (;;) {
        const auto audit = journal::read_audit(*journal);
        if (globals.json) {
            std::cout << (site ? journal::site_json(audit) : journal::audit_json(audit)) << std::endl;
        } else if (opts.csv) {
            std::cout << (site ? journal::site_csv(audit) : journal::audit_csv(audit)) << std::flush;
        } else if (opts.watch) {
            // Home and clear, then the view (ECMA-48 CUP and ED).
            std::cout << "\x1b[H\x1b[2J" << fmt::format("{}  (every {} s; Ctrl-C to stop)\n\n", opts.path, *opts.watch)
                      << (site ? journal::site_text(audit) : journal::audit_text(audit)) << std::flush;
        } else {
            std::cout << (site ? journal::site_text(audit) : journal::audit_text(audit)) << std::flush;
        }
        if (!opts.watch) break;
        std::this_thread::sleep_for(std::chrono::seconds(*opts.watch));
    }
    return exit_code::ok;
}

void register_journal(CLI::App& app, GlobalOptions& globals, Action& run) {
    static JournalOptions opts;
    auto* sub = app.add_subcommand("journal", "Show a batch journal for audit: every card attempt, records without "
                                              "attempts, and counts by state; for a shared PostgreSQL journal the "
                                              "whole site per station and reader (read-only; safe while batches run)");
    sub->add_option("--journal", opts.path,
                    "The journal: a SQLite file written by `docketcard issue`, or postgresql://USER@HOST/DB (password "
                    "from ~/.pgpass)")
        ->type_name("FILE|URI")
        ->required();
    add_common_flags(*sub, globals, /*apdus=*/false);
    auto* csv = sub->add_flag("--csv", opts.csv,
                              "Print RFC 4180 CSV (header row, one row per attempt or record; per station and reader "
                              "for a PostgreSQL journal)");
    auto* json = sub->get_option_no_throw("--json");
    if (json) csv->excludes(json);
    auto* watch = sub->add_option("--watch", opts.watch,
                                  "Redraw the view every SECONDS (1-3600; 2 when no number is given) on a terminal "
                                  "until Ctrl-C")
                      ->type_name("[SECONDS]")
                      ->expected(0, 1)
                      ->default_str("2")
                      ->check(CLI::Range(1, 3600).description(""));
    watch->excludes(csv);
    if (json) watch->excludes(json);
    auto* init = sub->add_flag("--init", opts.init,
                               "PostgreSQL journal: create the shared schema, or migrate it to this version (run "
                               "once per site, before the stations)");
    init->excludes(csv);
    init->excludes(watch);
    if (json) init->excludes(json);
    sub->footer(help_footer({"# Show a batch journal, then export it as CSV:",
                             "docketcard journal --journal /var/lib/docketcard/batch.db",
                             "docketcard journal --journal /var/lib/docketcard/batch.db --csv > batch.csv",
                             "# Create a site's shared journal, then watch its stations:",
                             "docketcard journal --journal postgresql://docketcard@db.site/issuance --init",
                             "docketcard journal --journal postgresql://docketcard@db.site/issuance --watch"},
                            {{exit_code::ok},
                             {exit_code::usage, "also --json with --csv, --watch without a terminal, or a password "
                                                "in the URI"},
                             {exit_code::invalid_input, "no such file"},
                             {exit_code::journal, "not a docketcard journal, one of another schema version, or the "
                                                  "server cannot be reached"}}));
    sub->callback([&globals, &run] { run = [&globals] { return run_journal(opts, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_journal);

}  // namespace docketcard::app
