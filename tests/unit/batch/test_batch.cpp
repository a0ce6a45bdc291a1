// Batch issuance (lib/batch) with a real SQLite journal and in-process applet cards behind
// sim:DIR/ readers: exactly once, resume after SIGKILL, rejected input, torn cards, the journal
// lock, and --reissue.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include "batch_test_util.hpp"
#include "docketcard/util/error.hpp"

using namespace batch_test;
using batch::Outcome;
using journal::State;

namespace {

record::LoadOptions fixed_today() {
    record::LoadOptions lo;
    lo.today = record::Date{2026, 11, 1};
    return lo;
}

std::int64_t count(const journal::Summary& s, State st) { return s.by_state.at(st); }

/// Every attempt of the journal at `path`, read-only.
std::vector<journal::Attempt> attempts(const fs::path& path) {
    auto j = journal::open_sqlite_journal_read_only(path);
    return j->attempts();
}

/// The exactly-once invariant over the journal and the card files: one verified attempt per
/// document number; its card is a LOCKED card file in a reader folder; no other LOCKED card file
/// outside spoiled/ exists; every spoiled attempt's card (if its file exists) is in spoiled/.
void check_exactly_once(const batch::BatchOptions& o, const std::vector<std::string>& docs) {
    const auto all = attempts(o.journal_path);
    std::map<std::string, std::string> verified_serial;  // doc -> serial
    std::map<std::string, State> by_serial;
    for (const auto& a : all) {
        if (a.card_serial) by_serial[*a.card_serial] = a.state;
        if (a.state != State::Verified) continue;
        INFO(a.document_number);
        CHECK(verified_serial.count(a.document_number) == 0);
        verified_serial[a.document_number] = a.card_serial.value_or("");
    }
    CHECK(verified_serial.size() == docs.size());
    for (const auto& d : docs) CHECK(verified_serial.count(d) == 1);

    std::set<std::string> locked_in_folders;
    for (const auto& c : scan_cards(o)) {
        INFO(c.path.string());
        if (c.state == perso::CardState::Locked && !c.spoiled_folder) {
            CHECK(locked_in_folders.insert(c.serial).second);
            REQUIRE(by_serial.count(c.serial) == 1);
            CHECK(by_serial[c.serial] == State::Verified);
        }
        if (by_serial.count(c.serial) && by_serial[c.serial] == State::Spoiled) CHECK(c.spoiled_folder);
    }
    CHECK(locked_in_folders.size() == docs.size());
}

/// Runs the batch of `o` in a child process that SIGKILLs itself at the first event `kill_at`
/// accepts, and requires that it died so.
void run_killed_at(batch::BatchOptions o, const std::function<bool(const batch::Event&)>& kill_at) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        o.on_event = [&](const batch::Event& e) {
            if (kill_at(e)) ::raise(SIGKILL);
        };
        try {
            batch::run_batch(o);
        } catch (...) {
        }
        ::_exit(99);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
}

/// Document numbers of the first `n` sample holders.
std::vector<std::string> issuable_docs(std::size_t n = 20) {
    std::vector<std::string> d;
    for (std::size_t i = 1; i <= n; ++i) d.push_back(fmt::format("DC26{:05}", i));
    return d;
}

/// The first 20 sample holders (they include DC2600009 and DC2600010, whose dates of birth have
/// unknown parts: the BAC key then carries `<<` as the MRZ does).
std::vector<std::string> issuable_lines() {
    auto lines = sample_lines("holders.jsonl");
    lines.resize(20);
    return lines;
}

}  // namespace

TEST_CASE("a record changed in its file after the batch read it is not issued; the others are", "[batch]") {
    TempDir dir;
    const auto lines = issuable_lines();
    REQUIRE(lines.size() >= 3);
    const std::vector<std::string> three(lines.begin(), lines.begin() + 3);
    const auto input = write_input(dir / "holders.jsonl", three);
    auto o = options(dir, input, 1);
    o.load_options = fixed_today();
    const std::string second = nlohmann::json::parse(three[1])["document_number"];
    std::vector<std::string> failed;
    bool changed = false;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Verified && !changed) {
            // The second holder's surname gets another letter of the same length, so every
            // record keeps its offset and only that one differs from what the batch read.
            auto doc = nlohmann::json::parse(three[1]);
            std::string surname = doc["surname"];
            surname[0] = surname[0] == 'Q' ? 'Z' : 'Q';
            doc["surname"] = surname;
            std::vector<std::string> now = three;
            now[1] = doc.dump();
            REQUIRE(now[1].size() == three[1].size());
            write_input(input, now);
            changed = true;
        }
        if (e.kind == batch::EventKind::Failed) failed.push_back(e.document_number + ": " + e.detail);
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Incomplete);
    CHECK(r.issued == 2);
    CHECK(r.failed == 1);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0] == second + ": " + input.string() + ":2: the record of " + second +
                           " changed after the batch read it (or its photo did); run the batch again to issue what "
                           "the file holds now");
    CHECK(r.reader_errors.empty());
}

TEST_CASE("20 sample holders over two sim readers: every one verified exactly once", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", issuable_lines()), 2);
    o.load_options = fixed_today();
    std::vector<std::string> rejected;
    std::map<std::string, int> verified_events;
    std::set<std::string> readers_used;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Rejected) rejected.push_back(e.detail);
        if (e.kind == batch::EventKind::Verified) {
            ++verified_events[e.document_number];
            readers_used.insert(e.reader);
            CHECK(fs::exists(e.report));
        }
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.valid == 20);
    CHECK(r.rejected == 0);
    CHECK(r.issued == 20);
    CHECK(r.skipped == 0);
    CHECK(r.failed == 0);
    CHECK(r.spoiled == 0);
    CHECK(r.not_done == 0);
    CHECK(count(r.journal_summary, State::Verified) == 20);
    CHECK(count(r.journal_summary, State::Rejected) == 0);
    CHECK(count(r.journal_summary, State::Pending) == 0);
    CHECK(r.journal_summary.attempts == 20);
    CHECK(rejected.empty());
    CHECK(verified_events.size() == 20);
    for (const auto& [doc, n] : verified_events) CHECK(n == 1);
    CHECK(readers_used.size() == 2);  // both workers issued cards
    check_exactly_once(o, issuable_docs());
    // One HTML QA report per card, named <document_number>-<serial>.html.
    std::size_t reports = 0;
    for (const auto& e : fs::directory_iterator(dir / "journal.db.reports")) {
        CHECK(e.path().extension() == ".html");
        ++reports;
    }
    CHECK(reports == 20);

    SECTION("a second run skips every verified record") {
        std::size_t made = 0;
        o.sim_card_options = [&](const std::string&, std::size_t) {
            ++made;
            return applet::CardOptions{};
        };
        const auto again = batch::run_batch(o);
        CHECK(again.outcome == Outcome::Complete);
        CHECK(again.skipped == 20);
        CHECK(again.issued == 0);
        CHECK(made == 0);
        CHECK(again.journal_summary.attempts == 20);
    }
}

TEST_CASE("SIGKILL in the middle of a batch, then the same command again: every holder issued once", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", issuable_lines()), 2);
    o.load_options = fixed_today();

    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        try {
            const auto r = batch::run_batch(o);
            ::_exit(r.outcome == batch::Outcome::Complete ? 0 : 1);
        } catch (...) {
            ::_exit(99);
        }
    }
    // Kill the child once it has verified some records (polling the journal read-only).
    bool killed = false;
    for (int i = 0; i < 6000 && !killed; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        try {
            auto j = journal::open_sqlite_journal_read_only(o.journal_path);
            if (j->summary().by_state.at(State::Verified) >= 5) {
                ::kill(child, SIGKILL);
                killed = true;
            }
        } catch (const Error&) {
            // not created yet
        }
    }
    if (!killed) ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(killed);
    REQUIRE(WIFSIGNALED(status));
    const auto before = attempts(o.journal_path);
    std::size_t verified_before = 0;
    for (const auto& a : before) verified_before += a.state == State::Verified;
    REQUIRE(verified_before >= 5);
    REQUIRE(verified_before < 20);

    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.skipped == verified_before);
    CHECK(r.issued == 20 - verified_before);
    CHECK(r.not_done == 0);
    CHECK(count(r.journal_summary, State::Verified) == 20);
    check_exactly_once(o, issuable_docs());
    // The first run's batch is marked interrupted by the second.
    auto j = journal::open_sqlite_journal_read_only(o.journal_path);
    const auto batches = j->batches();
    REQUIRE(batches.size() == 2);
    CHECK(batches[0].outcome == std::optional<std::string>("interrupted"));
    CHECK(batches[1].outcome == std::optional<std::string>("complete"));
}

TEST_CASE("kill at every step of one card: the rerun finishes or spoils it, never two valid cards", "[batch]") {
    // A child issues one holder and is killed after the journal shows the attempt in state
    // `target`; the rerun must finish that card (same serial) or spoil it and use a new one.
    const State target = GENERATE(State::Writing, State::Written, State::Locked);
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    // The child stops itself at the target state by raising SIGKILL from the event callback.
    run_killed_at(o, [&](const batch::Event& e) {
        return (target == State::Writing && e.kind == batch::EventKind::Progress && e.done > 0) ||
               (target == State::Written && e.kind == batch::EventKind::Written) ||
               (target == State::Locked && e.kind == batch::EventKind::Locked);
    });
    const auto before = attempts(o.journal_path);
    REQUIRE(before.size() == 1);
    CHECK(before[0].state == target);
    REQUIRE(before[0].card_serial);

    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.issued == 1);
    CHECK(r.spoiled == 0);
    const auto after = attempts(o.journal_path);
    REQUIRE(after.size() == 1);  // the card in progress was finished, not replaced
    CHECK(after[0].state == State::Verified);
    CHECK(after[0].card_serial == before[0].card_serial);
    check_exactly_once(o, {"DC2600001"});
}

TEST_CASE("killed after making a card, before journaling its serial: the rerun accounts for that card", "[batch]") {
    // issue 13: the card is journaled (an attempt without serial) before its first command; a kill
    // before its serial is journaled leaves a blank card file no attempt names. The rerun gives
    // that card to the attempt (its serial journaled), sets it aside as spoiled, and issues the
    // holder on a new card; a second unknown card in the folder is set aside and reported.
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    run_killed_at(o, [](const batch::Event& e) { return e.kind == batch::EventKind::CardInserted; });
    const auto before = attempts(o.journal_path);
    REQUIRE(before.size() == 1);
    CHECK(before[0].state == State::Writing);
    CHECK_FALSE(before[0].card_serial);
    auto cards = scan_cards(o);
    REQUIRE(cards.size() == 1);
    const std::string made = cards[0].serial;
    // A stray blank card nobody journaled (e.g. left by an older docketcard).
    const fs::path stray = fs::path(o.readers[0].substr(4)) / "card-999999.card";
    transport::open_sim_channel(stray, {}, std::nullopt).reset();
    REQUIRE(fs::exists(stray));
    fs::last_write_time(stray, fs::last_write_time(cards[0].path) - std::chrono::hours(1));

    std::vector<batch::Event> events;
    o.on_event = [&](const batch::Event& e) { events.push_back(e); };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.issued == 1);
    CHECK(r.spoiled == 1);
    const auto after = attempts(o.journal_path);
    REQUIRE(after.size() == 2);
    CHECK(after[0].state == State::Spoiled);
    CHECK(after[0].card_serial == made);
    CHECK(after[0].error == fmt::format("interrupted before the card serial was read; card {} ({}), made for this "
                                        "attempt, was found on resume and set aside",
                                        made, cards[0].path.filename().string()));
    CHECK(after[1].state == State::Verified);
    CHECK(after[1].card_serial != made);
    // Every card file is accounted for: the journal knows each serial except the stray one, which
    // was set aside and reported.
    std::set<std::string> known;
    for (const auto& a : after)
        if (a.card_serial) known.insert(*a.card_serial);
    std::size_t unknown = 0;
    for (const auto& c : scan_cards(o)) {
        if (known.count(c.serial)) {
            CHECK(c.spoiled_folder == (c.serial == made));
        } else {
            ++unknown;
            CHECK(c.spoiled_folder);
        }
    }
    CHECK(unknown == 1);
    const auto said = std::count_if(events.begin(), events.end(), [](const batch::Event& e) {
        return e.kind == batch::EventKind::CardNotUsable &&
               e.detail.find("is in no journal attempt") != std::string::npos;
    });
    CHECK(said == 1);
    check_exactly_once(o, {"DC2600001"});
}

TEST_CASE("invalid records are rejected and journaled; the valid ones are issued", "[batch]") {
    TempDir dir;
    auto lines = sample_lines("holders.jsonl", 3);
    const auto bad = sample_lines("invalid.jsonl");
    lines.insert(lines.begin() + 1, bad.begin(), bad.end());
    auto o = options(dir, write_input(dir / "mixed.jsonl", lines), 2);
    o.load_options = fixed_today();
    std::vector<std::string> rejected_details;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Rejected) rejected_details.push_back(e.detail);
    };
    const auto r = batch::run_batch(o);
    // Every valid record was issued, some were invalid: exit 3, not 9 (valid records not issued).
    CHECK(r.outcome == Outcome::InvalidRecords);
    CHECK(std::string(batch::to_string(r.outcome)) == "invalid_records");
    CHECK(r.failed == 0);
    CHECK(r.not_done == 0);
    CHECK(r.valid == 3);
    CHECK(r.rejected == bad.size());
    CHECK(r.issued == 3);
    CHECK(count(r.journal_summary, State::Rejected) == static_cast<std::int64_t>(bad.size()));
    CHECK(count(r.journal_summary, State::Verified) == 3);
    REQUIRE(rejected_details.size() == bad.size());
    // FILE:LINE: field: problem (the first invalid record is line 2 of the mixed input).
    CHECK(rejected_details[0].rfind((dir / "mixed.jsonl").string() + ":2: ", 0) == 0);
    check_exactly_once(o, {"DC2600001", "DC2600002", "DC2600003"});
    // Every card attempt carries the background check its holder was cleared on.
    std::map<std::string, std::string> checks;
    for (const auto& a : attempts(o.journal_path)) checks[a.document_number] = a.background_check;
    CHECK(checks == std::map<std::string, std::string>{{"DC2600001", "NSBC-2025-004099"},
                                                       {"DC2600002", "NSBC-2026-008198"},
                                                       {"DC2600003", "NSBC-2025-012297"}});

    SECTION("--strict refuses the whole batch and touches no card") {
        TempDir dir2;
        auto s = options(dir2, write_input(dir2 / "mixed.jsonl", lines), 2);
        s.load_options = fixed_today();
        s.strict = true;
        const auto sr = batch::run_batch(s);
        CHECK(sr.outcome == Outcome::StrictRefused);
        CHECK(sr.issued == 0);
        CHECK_FALSE(fs::exists(dir2 / "cards-a"));
        CHECK_FALSE(fs::exists(dir2 / "cards-b"));
        CHECK_FALSE(fs::exists(s.journal_path));
    }
}

TEST_CASE("a document number in two input files: the later record is refused, naming the first", "[batch]") {
    TempDir dir;
    const auto lines = sample_lines("holders.jsonl", 3);
    const auto bad = sample_lines("invalid.jsonl", 1);
    const auto first = write_input(dir / "a.jsonl", {lines[0], bad[0], lines[1]});
    const auto second = write_input(dir / "b.jsonl", {lines[1], lines[2]});
    auto o = options(dir, first, 1);
    o.inputs.push_back(second);
    o.load_options = fixed_today();
    std::vector<std::string> rejected;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Rejected) rejected.push_back(e.document_number + " " + e.detail);
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::InvalidRecords);
    CHECK(r.valid == 3);
    CHECK(r.issued == 3);
    CHECK(r.rejected == 2);
    // In input order: the invalid record of the first file, then the repeat in the second.
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].find(first.string() + ":2: ") != std::string::npos);
    CHECK(rejected[1] == "DC2600002 " + second.string() + ":1: document_number: DC2600002 appears again (first at " +
                             first.string() + ":3); one card per document number: the later record is refused");
    check_exactly_once(o, {"DC2600001", "DC2600002", "DC2600003"});
}

TEST_CASE("a torn card is spoiled, set aside, and the holder is reissued on a new card", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 2)), 1);
    o.load_options = fixed_today();
    o.sim_card_options = [](const std::string&, std::size_t index) {
        applet::CardOptions c;
        if (index == 0) c.tear_after = 12;  // the first card is torn out during personalization
        return c;
    };
    std::vector<batch::Event> spoiled;
    o.on_event = [&](const batch::Event& e) {
        if (e.kind == batch::EventKind::Spoiled) spoiled.push_back(e);
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.issued == 2);
    CHECK(r.spoiled == 1);
    REQUIRE(spoiled.size() == 1);
    CHECK(spoiled[0].document_number == "DC2600001");
    CHECK(spoiled[0].detail.find("torn") != std::string::npos);
    const fs::path moved = dir / "cards-a" / "spoiled" / "card-000001.card";
    CHECK(spoiled[0].card_location == moved.string());
    CHECK(fs::exists(moved));
    REQUIRE(r.spoiled_locations.size() == 1);
    CHECK(r.spoiled_locations[0] == moved.string());

    const auto all = attempts(o.journal_path);
    REQUIRE(all.size() == 3);
    CHECK(all[0].document_number == "DC2600001");
    CHECK(all[0].state == State::Spoiled);
    REQUIRE(all[0].card_serial);
    REQUIRE(all[0].error);
    CHECK(all[0].error->find("torn") != std::string::npos);
    CHECK(all[1].document_number == "DC2600001");
    CHECK(all[1].state == State::Verified);
    CHECK(all[1].card_serial != all[0].card_serial);
    CHECK(all[2].state == State::Verified);
    check_exactly_once(o, {"DC2600001", "DC2600002"});
}

TEST_CASE("a holder whose every card tears fails after --max-attempts; the batch is incomplete", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    o.max_attempts = 2;
    o.sim_card_options = [](const std::string&, std::size_t) {
        applet::CardOptions c;
        c.tear_after = 12;
        return c;
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Incomplete);
    CHECK(r.failed == 1);
    CHECK(r.spoiled == 2);
    CHECK(count(r.journal_summary, State::Pending) == 1);
    CHECK(count(r.journal_summary, State::Spoiled) == 2);
}

TEST_CASE("valid records not issued win over invalid records: exit 9, not 3", "[batch]") {
    TempDir dir;
    auto lines = sample_lines("holders.jsonl", 1);
    const auto bad = sample_lines("invalid.jsonl");
    lines.insert(lines.end(), bad.begin(), bad.end());
    auto o = options(dir, write_input(dir / "mixed.jsonl", lines), 1);
    o.load_options = fixed_today();
    o.max_attempts = 1;
    o.sim_card_options = [](const std::string&, std::size_t) {
        applet::CardOptions c;
        c.tear_after = 12;
        return c;
    };
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Incomplete);
    CHECK(r.failed == 1);
    CHECK(r.issued == 0);
    CHECK(r.rejected == bad.size());
}

TEST_CASE("a second batch on a journal held by a running batch is refused and touches no card", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    auto running = journal::open_sqlite_journal(o.journal_path, {"other-station", "x.jsonl"});
    try {
        batch::run_batch(o);
        FAIL("the second batch was not refused");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Journal);
        CHECK(std::string(e.what()).find("in use by batch") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(dir / "cards-a"));
}

TEST_CASE("--reissue supersedes the verified card with a new one", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 2)), 1);
    o.load_options = fixed_today();
    REQUIRE(batch::run_batch(o).outcome == Outcome::Complete);
    o.reissue = true;
    const auto r = batch::run_batch(o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(r.issued == 2);
    CHECK(r.superseded == 2);
    CHECK(r.skipped == 0);
    CHECK(count(r.journal_summary, State::Verified) == 2);
    CHECK(count(r.journal_summary, State::Superseded) == 2);
    const auto all = attempts(o.journal_path);
    REQUIRE(all.size() == 4);
    CHECK(all[0].state == State::Superseded);
    CHECK(all[0].superseded_by == std::optional<journal::AttemptId>(all[2].id));
    CHECK(all[2].state == State::Verified);
    CHECK(all[2].document_number == all[0].document_number);
}

TEST_CASE("reader names a batch cannot use are usage errors", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    o.readers = {"sim:" + (dir / "one.card").string()};
    CHECK_THROWS_MATCHES(batch::run_batch(o), Error,
                         Catch::Matchers::Predicate<Error>([](const Error& e) { return e.kind() == ErrorKind::Usage; }));
    // An operation either completes or changes nothing: no journal, no lock file, no card folder.
    CHECK_FALSE(fs::exists(o.journal_path));
    CHECK_FALSE(fs::exists(journal::lock_path_for(o.journal_path)));
    o.readers = {"sim:" + (dir / "x").string() + "/", "sim:" + (dir / "x").string() + "/"};
    CHECK_THROWS_MATCHES(batch::run_batch(o), Error,
                         Catch::Matchers::Predicate<Error>([](const Error& e) { return e.kind() == ErrorKind::Usage; }));
    CHECK_FALSE(fs::exists(o.journal_path));
    CHECK_FALSE(fs::exists(journal::lock_path_for(o.journal_path)));
    CHECK_FALSE(fs::exists(dir / "x"));
    // A good reader followed by an unusable one: still nothing created.
    o.readers = {"sim:" + (dir / "good").string() + "/", "sim:" + (dir / "one.card").string()};
    CHECK_THROWS_MATCHES(batch::run_batch(o), Error,
                         Catch::Matchers::Predicate<Error>([](const Error& e) { return e.kind() == ErrorKind::Usage; }));
    CHECK_FALSE(fs::exists(o.journal_path));
    CHECK_FALSE(fs::exists(journal::lock_path_for(o.journal_path)));
    CHECK_FALSE(fs::exists(dir / "good"));
}

TEST_CASE("unusable keys, CSCA, input or reports folder: refused before the journal is created", "[batch]") {
    TempDir dir;
    auto o = options(dir, write_input(dir / "holders.jsonl", sample_lines("holders.jsonl", 1)), 1);
    o.load_options = fixed_today();
    auto refused_invalid_input = [&](const batch::BatchOptions& opts) {
        CHECK_THROWS_MATCHES(batch::run_batch(opts), Error, Catch::Matchers::Predicate<Error>([](const Error& e) {
                                 return e.kind() == ErrorKind::InvalidInput;
                             }));
        CHECK_FALSE(fs::exists(opts.journal_path));
        CHECK_FALSE(fs::exists(journal::lock_path_for(opts.journal_path)));
        CHECK_FALSE(fs::exists(dir / "cards-a"));
    };
    SECTION("keys folder missing") {
        o.keys_dir = dir / "no-keys";
        refused_invalid_input(o);
    }
    SECTION("CSCA missing") {
        o.csca = dir / "no-csca.pem";
        refused_invalid_input(o);
    }
    SECTION("CSCA not a certificate") {
        std::ofstream(dir / "bad-csca.pem") << "not a certificate\n";
        o.csca = dir / "bad-csca.pem";
        refused_invalid_input(o);
    }
    SECTION("input file missing") {
        o.inputs = {dir / "missing.jsonl"};
        refused_invalid_input(o);
    }
    SECTION("reports path is a file") {
        std::ofstream(dir / "reports") << "x";
        o.reports_dir = dir / "reports";
        refused_invalid_input(o);
    }
}

TEST_CASE("canonical_record excludes the source position and the card access number", "[batch]") {
    auto lo = fixed_today();
    const auto loaded = record::load_records(source("samples/holders.jsonl"), lo);
    REQUIRE(loaded.records.size() >= 2);
    auto a = loaded.records[0];
    auto b = a;
    b.source_line = 99;
    b.card_access_number.reset();
    CHECK(batch::canonical_record(a) == batch::canonical_record(b));
    b.surname += "X";
    CHECK(batch::canonical_record(a) != batch::canonical_record(b));
    CHECK(batch::canonical_record(a).find("\"document_number\":\"DC2600001\"") != std::string::npos);
}
