// docketcard journal --journal PATH [--json | --csv]: the batch journal for audit (docs/journal.md).
// Opens the journal read-only, so it works while a batch runs; prints one line per card attempt,
// the records that have no attempt (pending, rejected), and the counts by state.

#include <iostream>
#include <string>

#include "cli.hpp"
#include "docketcard/journal/audit.hpp"
#include "docketcard/journal/sqlite_journal.hpp"

namespace docketcard::app {

namespace {

struct JournalOptions {
    std::string path;
    bool csv = false;
};

int run_journal(const JournalOptions& opts, const GlobalOptions& globals) {
    // A missing file is an input error (exit 3); a file that is not a journal is exit 8.
    auto journal = journal::open_sqlite_journal_read_only(opts.path);
    const auto audit = journal::read_audit(*journal);
    if (globals.json) {
        std::cout << journal::audit_json(audit) << std::endl;
    } else if (opts.csv) {
        std::cout << journal::audit_csv(audit) << std::flush;
    } else {
        std::cout << journal::audit_text(audit) << std::flush;
    }
    return exit_code::ok;
}

void register_journal(CLI::App& app, GlobalOptions& globals, Action& run) {
    static JournalOptions opts;
    auto* sub = app.add_subcommand("journal", "Show a batch journal for audit: every card attempt, records without "
                                              "attempts, and counts by state (read-only; safe while a batch runs)");
    sub->add_option("--journal", opts.path, "The journal database (SQLite) written by `docketcard issue`")
        ->type_name("FILE")
        ->required();
    add_common_flags(*sub, globals, /*apdus=*/false);
    auto* csv = sub->add_flag("--csv", opts.csv, "Print RFC 4180 CSV (header row, one row per attempt or record)");
    if (auto* json = sub->get_option_no_throw("--json")) csv->excludes(json);
    sub->footer(help_footer({"# Show a batch journal, then export it as CSV:",
                             "docketcard journal --journal /var/lib/docketcard/batch.db",
                             "docketcard journal --journal /var/lib/docketcard/batch.db --csv > batch.csv"},
                            {{exit_code::ok},
                             {exit_code::usage, "also --json with --csv"},
                             {exit_code::invalid_input, "no such file"},
                             {exit_code::journal, "not a docketcard journal, or one of a newer schema"}}));
    sub->callback([&globals, &run] { run = [&globals] { return run_journal(opts, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_journal);

}  // namespace docketcard::app
