// docketcard issue: batch issuance at an issuance site (lib/batch does the work; this file parses
// the command line, handles SIGINT, and shows progress).
//
// What the operator sees:
//   - a terminal on stderr: a progress bar (done/total, cards per minute, time left) and one line
//     per reader (waiting for card, writing, locking, verifying), redrawn in place with ANSI
//     escapes; messages and prompts scroll above it;
//   - stderr not a terminal: plain progress lines;
//   - --json: one JSON object per line per event on stdout, ending with batch_done (the summary);
//     nothing else on stdout;
//   - otherwise the final summary on stdout.
// Exit codes: 0 every record valid and issued; 3 every valid record issued but some input records
// were rejected as invalid (or --strict refused the batch); 9 some valid records not issued; 8
// journal; 4 every reader failed; 130 interrupted (SIGINT).

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/batch/batch.hpp"

namespace docketcard::app {

namespace {

// The exit code of a batch that ran to its end (errors that stop it go through exit_code_for()).
int exit_code_for(batch::Outcome outcome) noexcept {
    switch (outcome) {
        case batch::Outcome::Complete: return exit_code::ok;
        case batch::Outcome::InvalidRecords: return exit_code::invalid_input;
        case batch::Outcome::Incomplete: return exit_code::batch_incomplete;
        case batch::Outcome::StrictRefused: return exit_code::invalid_input;
        case batch::Outcome::ReaderFailure: return exit_code::communication;
        case batch::Outcome::Interrupted: return exit_code::interrupted;
    }
    return exit_code::internal;
}

std::atomic<bool> g_stop{false};

extern "C" void on_sigint(int) { g_stop.store(true); }

struct IssueOptions {
    std::vector<std::string> inputs;
    std::vector<std::string> readers;
    std::string keys;
    std::string csca;
    std::string journal;
    std::string reports;
    std::string document_code = "ID";
    bool reissue = false;
    bool strict = false;
    int max_attempts = 3;
    int lease_seconds = 60;
    std::string station;
};

nlohmann::json event_json(const batch::Event& e) {
    nlohmann::json j = {{"event", batch::to_string(e.kind)}};
    if (!e.reader.empty()) j["reader"] = e.reader;
    if (!e.document_number.empty()) j["document_number"] = e.document_number;
    if (!e.serial.empty()) j["serial"] = e.serial;
    if (e.attempt) j["attempt"] = *e.attempt;
    if (e.attempt_number) j["attempt_number"] = e.attempt_number;
    if (!e.card_location.empty()) j["card"] = e.card_location;
    if (!e.report.empty()) j["report"] = e.report;
    if (!e.detail.empty()) j["detail"] = e.detail;
    if (e.kind == batch::EventKind::BatchStarted) {
        j["total"] = e.total;
        j["already_issued"] = e.done;
    }
    return j;
}

double per_card(double total, std::size_t cards) { return cards ? total / static_cast<double>(cards) : 0.0; }

// Per link profile of the sim: readers (docs/sim.md "Link model"): the verified cards' projected
// time, split by step and summed over the cards, and the host's measured time for them.
nlohmann::json links_json(const batch::BatchResult& r) {
    nlohmann::json links = nlohmann::json::array();
    for (const auto& l : r.links)
        links.push_back({{"profile", l.profile},
                         {"cards", l.cards},
                         {"seconds_per_card", per_card(l.total().cost.total(), l.cards)},
                         {"host_seconds_per_card", per_card(l.host_seconds, l.cards)},
                         {"host_seconds", l.host_seconds},
                         {"write", link_json(l.profile, l.write)},
                         {"lock", link_json(l.profile, l.lock)},
                         {"verify", link_json(l.profile, l.verify)},
                         {"total", link_json(l.profile, l.total())}});
    return links;
}

nlohmann::json summary_json(const batch::BatchResult& r) {
    nlohmann::json by_state = nlohmann::json::object();
    for (const auto& [state, n] : r.journal_summary.by_state) by_state[journal::to_string(state)] = n;
    return {{"event", "batch_done"},
            {"outcome", batch::to_string(r.outcome)},
            {"exit_code", exit_code_for(r.outcome)},
            {"valid", r.valid},
            {"rejected", r.rejected},
            {"issued", r.issued},
            {"skipped", r.skipped},
            {"failed", r.failed},
            {"not_done", r.not_done},
            {"spoiled", r.spoiled},
            {"superseded", r.superseded},
            {"spoiled_cards", r.spoiled_locations},
            {"reader_errors", r.reader_errors},
            {"links", links_json(r)},
            {"journal", by_state},
            {"elapsed_ms", r.elapsed.count()}};
}

/// Progress on stderr: in place on a terminal, plain lines otherwise.
class Display {
public:
    explicit Display(bool tty) : tty_(tty), start_(std::chrono::steady_clock::now()) {}

    void on_event(const batch::Event& e) {
        using K = batch::EventKind;
        std::vector<std::string> log;
        switch (e.kind) {
            case K::BatchStarted:
                total_ = e.total;
                done_ = e.done;
                started_ = true;
                log.push_back(fmt::format("issue: {} valid records, {} already issued; {}", e.total, e.done, e.detail));
                break;
            case K::WaitingForCard:
                state_[e.reader] = "waiting for a blank card";
                log.push_back(fmt::format(">>> {}: {}", e.reader, e.detail));
                break;
            case K::RemoveCard:
                state_[e.reader] = "waiting for the card to be removed";
                log.push_back(fmt::format(">>> {}: {}", e.reader, e.detail));
                break;
            case K::CardInserted: state_[e.reader] = fmt::format("card {} ({})", e.serial, e.detail); break;
            case K::CardNotUsable: log.push_back(fmt::format("{}: card not used: {}", e.reader, e.detail)); break;
            case K::RecordStarted:
                state_[e.reader] = fmt::format("{}: writing (card {}, attempt {})", e.document_number, e.serial,
                                               e.attempt_number);
                if (!tty_) log.push_back(fmt::format("{}: {} on card {} (attempt {})", e.reader, e.document_number,
                                                     e.serial, e.attempt_number));
                break;
            case K::Resumed:
                state_[e.reader] = fmt::format("{}: resuming card {}", e.document_number, e.serial);
                log.push_back(fmt::format("{}: resuming {} on card {}: {}", e.reader, e.document_number, e.serial,
                                          e.detail));
                break;
            case K::Progress:
                state_[e.reader] = fmt::format("{}: writing: {} ({}%)", e.document_number, e.detail,
                                               e.total ? e.done * 100 / e.total : 0);
                if (!tty_) return;
                if (std::chrono::steady_clock::now() - last_draw_ < std::chrono::milliseconds(100)) return;
                break;
            case K::Written: state_[e.reader] = fmt::format("{}: locking", e.document_number); break;
            case K::Locked: state_[e.reader] = fmt::format("{}: verifying", e.document_number); break;
            case K::Verified:
                ++done_;
                ++issued_;
                state_[e.reader] = fmt::format("{}: verified", e.document_number);
                if (!tty_) log.push_back(fmt::format("[{}/{}] {} verified on card {} ({})", done_, total_,
                                                     e.document_number, e.serial, e.reader));
                break;
            case K::Rejected: log.push_back(fmt::format("rejected: {}", e.detail)); break;
            case K::Skipped:
                if (!started_) break;   // verified in an earlier run: counted in batch_started
                ++done_;
                if (!tty_)
                    log.push_back(fmt::format("[{}/{}] {} skipped: {}", done_, total_, e.document_number, e.detail));
                break;
            case K::Spoiled:
                log.push_back(fmt::format("{}: card {} for {} SPOILED: {}{}", e.reader.empty() ? "resume" : e.reader,
                                          e.serial.empty() ? "?" : e.serial, e.document_number, e.detail,
                                          e.card_location.empty() ? "" : " (set aside: " + e.card_location + ")"));
                break;
            case K::Failed:
                ++done_;
                log.push_back(fmt::format("{}: {} FAILED: {}", e.reader, e.document_number, e.detail));
                break;
            case K::ReaderFailed:
                state_[e.reader] = "FAILED";
                log.push_back(fmt::format("{}: reader failed: {}", e.reader, e.detail));
                break;
            case K::BatchDone: break;
        }
        draw(log);
    }

    void message(const std::string& line) { draw({line}); }

    void finish() {
        if (tty_ && drawn_lines_ > 0) {
            fmt::print(stderr, "\x1b[{}F\x1b[J", drawn_lines_);
            drawn_lines_ = 0;
        }
        std::fflush(stderr);
    }

private:
    void draw(const std::vector<std::string>& log) {
        if (!tty_) {
            for (const auto& l : log) fmt::print(stderr, "{}\n", l);
            return;
        }
        std::string out;
        if (drawn_lines_ > 0) out += fmt::format("\x1b[{}F\x1b[J", drawn_lines_);
        for (const auto& l : log) out += l + "\n";
        const double minutes =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() / 60.0;
        const double rate = minutes > 0 ? static_cast<double>(issued_) / minutes : 0;
        const std::size_t left = total_ > done_ ? total_ - done_ : 0;
        const int width = 30;
        const int filled = total_ ? static_cast<int>(width * done_ / total_) : 0;
        std::string eta = "--";
        if (rate > 0) {
            const auto secs = static_cast<long>(static_cast<double>(left) / rate * 60.0);
            eta = fmt::format("{}:{:02}", secs / 60, secs % 60);
        }
        out += fmt::format("[{}{}] {}/{}  {:.1f} cards/min  time left {}\n", std::string(filled, '#'),
                           std::string(width - filled, '.'), done_, total_, rate, eta);
        for (const auto& [reader, state] : state_) out += fmt::format("  {}: {}\n", reader, state);
        drawn_lines_ = 1 + static_cast<int>(state_.size());
        fmt::print(stderr, "{}", out);
        std::fflush(stderr);
        last_draw_ = std::chrono::steady_clock::now();
    }

    bool tty_;
    std::chrono::steady_clock::time_point start_, last_draw_{};
    std::size_t total_ = 0, done_ = 0, issued_ = 0;
    bool started_ = false;   // after batch_started, a skipped record was verified by another station
    std::map<std::string, std::string> state_;
    int drawn_lines_ = 0;
};

void print_summary(const batch::BatchResult& r, const std::filesystem::path& reports) {
    // "3 valid records were" / "1 valid record was"
    const auto valid_were = [](std::size_t n) {
        return fmt::format("{} valid {}", n, n == 1 ? "record was" : "records were");
    };
    fmt::print("docketcard issue: {}\n", batch::to_string(r.outcome));
    if (r.outcome == batch::Outcome::InvalidRecords && r.valid == 0)
        fmt::print("  no valid record: all {} input {} rejected as invalid (exit 3): correct them and run again\n",
                   r.rejected, r.rejected == 1 ? "record was" : "records were");
    else if (r.outcome == batch::Outcome::InvalidRecords)
        fmt::print("  every valid record was issued, but {} input {} rejected as invalid (exit 3): "
                   "correct them and run again\n",
                   r.rejected, r.rejected == 1 ? "record was" : "records were");
    else if (r.outcome == batch::Outcome::Incomplete)
        fmt::print("  {} not issued (exit 9): run the same command again to retry them\n",
                   valid_were(r.failed + r.not_done));
    else if (r.outcome == batch::Outcome::Interrupted)
        fmt::print("  interrupted: {} not issued (exit 130): run the same command again to resume (verified "
                   "records are skipped)\n",
                   valid_were(r.not_done));
    fmt::print("  valid records {}, rejected {}; issued now {}, already issued {}, failed {}, not done {}\n", r.valid,
               r.rejected, r.issued, r.skipped, r.failed, r.not_done);
    fmt::print("  cards spoiled in this run {}, superseded {}; {:.1f} s\n", r.spoiled, r.superseded,
               static_cast<double>(r.elapsed.count()) / 1000.0);
    std::string counts;
    for (const auto& [state, n] : r.journal_summary.by_state)
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", journal::to_string(state), n);
    fmt::print("  journal: {} records, {} card attempts: {}\n", r.journal_summary.records, r.journal_summary.attempts,
               counts);
    if (!r.spoiled_locations.empty()) {
        fmt::print("  spoiled cards (destroy them):\n");
        for (const auto& s : r.spoiled_locations) fmt::print("    {}\n", s);
    }
    for (const auto& e : r.reader_errors) fmt::print("  reader failure: {}\n", e);
    for (const auto& l : r.links) {
        const auto total = l.total();
        fmt::print("  link {}: {} cards, projected card time {:.3f} s a card (write {:.3f} s, lock {:.3f} s, verify "
                   "{:.3f} s), host time {:.3f} s a card; in all {} commands, {} page writes\n",
                   l.profile, l.cards, per_card(total.cost.total(), l.cards), per_card(l.write.cost.total(), l.cards),
                   per_card(l.lock.cost.total(), l.cards), per_card(l.verify.cost.total(), l.cards),
                   per_card(l.host_seconds, l.cards), total.commands, total.pages_written);
    }
    fmt::print("  QA reports: {}\n", reports.string());
}

int run_issue(const IssueOptions& opts, const GlobalOptions& globals) {
    batch::BatchOptions o;
    for (const auto& in : opts.inputs) o.inputs.emplace_back(in);
    o.readers = opts.readers;
    o.keys_dir = opts.keys;
    o.csca = opts.csca;
    o.journal_path = opts.journal;
    if (!opts.reports.empty()) o.reports_dir = std::filesystem::path(opts.reports);
    o.reissue = opts.reissue;
    o.strict = opts.strict;
    o.max_attempts = opts.max_attempts;
    o.lease_seconds = opts.lease_seconds;
    o.station = opts.station;
    o.load_options.default_document_code = opts.document_code;
    o.stop = &g_stop;

    const bool tty = !globals.json && ::isatty(STDERR_FILENO) == 1;
    Display display(tty);
    std::mutex out_mutex;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Rejected && globals.json) {
            // Invalid records are reported on stderr in every mode.
            fmt::print(stderr, "{}\n", e.detail);
        }
        if (globals.json) {
            if (e.kind == batch::EventKind::Progress || e.kind == batch::EventKind::BatchDone) return;
            const std::lock_guard lock(out_mutex);
            std::cout << event_json(e).dump() << std::endl;
            return;
        }
        display.on_event(e);
    };

    g_stop.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    struct sigaction old {};
    ::sigaction(SIGINT, &sa, &old);
    batch::BatchResult result;
    try {
        result = batch::run_batch(o);
    } catch (...) {
        ::sigaction(SIGINT, &old, nullptr);
        display.finish();
        throw;
    }
    ::sigaction(SIGINT, &old, nullptr);
    display.finish();

    const auto reports = o.reports_dir ? *o.reports_dir : std::filesystem::path(opts.journal + ".reports");
    if (globals.json) {
        std::cout << summary_json(result).dump() << std::endl;
    } else if (result.outcome == batch::Outcome::StrictRefused) {
        fmt::print(stderr, "docketcard issue: --strict: {} invalid records; the batch was refused and no card was "
                           "touched\n",
                   result.rejected);
    } else {
        print_summary(result, reports);
    }
    return exit_code_for(result.outcome);
}

void register_issue(CLI::App& app, GlobalOptions& globals, Action& run) {
    static IssueOptions opts;
    auto* sub = app.add_subcommand(
        "issue", "Issue a batch of cards: write, lock and verify every valid holder record on cards in one or more "
                 "readers, with a crash-safe journal (run the same command again to resume)");
    sub->add_option("--input", opts.inputs, "Holder records (JSON Lines, JSON or CSV); may be repeated")
        ->type_name("FILE")
        ->required();
    sub->add_option("--reader", opts.readers,
                    "A reader: PC/SC name, substring or index, or sim:DIR/ (a new emulated card file per holder; "
                    "sim:DIR/?link=PROFILE also projects each card's time on a link model); "
                    "repeat for parallel readers (one worker each)")
        ->type_name("NAME")
        ->required();
    sub->add_option("--keys", opts.keys, "Issuer keys folder (scp03-master.txt, document-signer.pem/.key)")
        ->type_name("DIR")
        ->required();
    sub->add_option("--csca", opts.csca, "CSCA certificate that verification checks the Document Signer against")
        ->type_name("FILE")
        ->required();
    sub->add_option("--journal", opts.journal,
                    "The batch journal: a SQLite file (created when missing, in an existing folder), or "
                    "postgresql://USER@HOST/DB for a journal several stations share (password from ~/.pgpass)")
        ->type_name("FILE|URI")
        ->required();
    sub->add_option("--reports", opts.reports, "Folder for the HTML QA report of every card")
        ->type_name("DIR")
        ->default_str("JOURNAL.reports");
    sub->add_option("--document-code", opts.document_code,
                    "Document code of records without a document_code field (1-2 letters, the first A, C or I)")
        ->type_name("CODE")
        ->capture_default_str()
        ->check(document_code_validator());
    sub->add_flag("--reissue", opts.reissue,
                  "Issue new cards for records already verified; their old cards become superseded");
    sub->add_flag("--strict", opts.strict, "Refuse the whole batch (exit 3) when any record is invalid");
    sub->add_option("--max-attempts", opts.max_attempts, "Cards tried per record in one run before giving up (1-100)")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1, 100).description(""));
    sub->add_option("--station", opts.station,
                    "This station's name in the journal (default: the host name); a PostgreSQL journal runs one "
                    "batch per station at a time")
        ->type_name("NAME");
    sub->add_option("--lease-seconds", opts.lease_seconds,
                    "PostgreSQL journal: how long this station's claims outlive its last heartbeat before another "
                    "station may take its records over (1-3600)")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600).description(""));
    add_common_flags(*sub, globals);
    sub->get_option("--json")->description(
        "Stream events on stdout, one JSON object per line (batch_started ... verified, spoiled, failed), the last "
        "one batch_done with the summary");
    sub->footer(help_footer(
        {"# Issue every holder of a file on two readers (the same command again resumes after Ctrl-C or a crash):",
         "docketcard issue --input holders.jsonl --reader 0 --reader 1 --keys /etc/docketcard/keys \\",
         "    --csca /etc/docketcard/csca.pem --journal /var/lib/docketcard/batch.db",
         "# On the emulator, a new card file per holder in /tmp/cards/, events as JSON lines:",
         "docketcard issue --input holders.jsonl --reader sim:/tmp/cards/ --keys keys --csca keys/csca.pem \\",
         "    --journal /tmp/batch.db --json"},
        {{exit_code::ok, "every record valid and issued"},
         {exit_code::usage},
         {exit_code::invalid_input, "some input records were rejected as invalid (the valid ones were issued), "
                                    "--strict refused the batch, or unusable input (record file, keys, CSCA, journal "
                                    "folder)"},
         {exit_code::communication, "a reader failed and stopped the batch"},
         {exit_code::journal, "the journal is in use by another batch or is not a docketcard journal"},
         {exit_code::batch_incomplete, "some valid records were not issued (failed on --max-attempts cards): run "
                                       "the same command again"},
         {exit_code::interrupted, "Ctrl-C stopped the batch, run the same command again to resume"}}));
    sub->callback([&globals, &run] { run = [&globals] { return run_issue(opts, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_issue);

}  // namespace docketcard::app
