// The SQLite journal against a real database in a temporary folder: schema, transitions and
// their refusals (exact messages), the exactly-once claim, --reissue, queries and read-only use.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>

#include <unistd.h>

#include "docketcard/journal/sqlite_journal.hpp"
#include "docketcard/util/error.hpp"
#include "journal_test_util.hpp"
#include "../../../lib/src/journal/sqlite_schema.hpp"  // migration_1: the released schema 1 SQL

using namespace docketcard;
using namespace docketcard::journal;
using journal_test::entry;
using journal_test::RawDb;
using journal_test::TempDir;

namespace {

const Bytes serial_a = from_hex("00112233445566778899");
const Bytes serial_b = from_hex("A0A1A2A3A4A5A6A7A8A9");
const Bytes serial_c = from_hex("C0C1C2C3C4C5C6C7C8C9");

std::unique_ptr<Journal> open_batch(const std::filesystem::path& p, const std::string& station = "station-1") {
    return open_sqlite_journal(p, {station, "records.jsonl"});
}

std::string message_of(const std::function<void()>& f, ErrorKind expected_kind = ErrorKind::Journal) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(e.kind() == expected_kind);
        return e.what();
    }
    FAIL("no docketcard::Error thrown");
    return {};
}

/// Claims `doc` and takes the attempt through to verified on `serial`.
Attempt issue(Journal& j, const std::string& doc, ByteView serial, bool reissue = false) {
    auto a = j.claim_record(doc, "Reader 0", reissue);
    j.set_card_serial(a.id, serial);
    j.mark_written(a.id);
    j.mark_locked(a.id);
    return j.mark_verified(a.id);
}

}  // namespace

TEST_CASE("record_digest is the SHA-256 of the canonical record in upper-case hex", "[journal]") {
    const std::string abc = "abc";
    CHECK(record_digest(ByteView(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size())) ==
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
}

TEST_CASE("state names round-trip", "[journal]") {
    CHECK(all_states().size() == 8);
    for (State s : all_states()) CHECK(parse_state(to_string(s)) == s);
    CHECK(std::string(to_string(State::Superseded)) == "superseded");
    CHECK_FALSE(parse_state("done").has_value());
    CHECK(is_live(State::Verified));
    CHECK_FALSE(is_in_progress(State::Verified));
    CHECK(is_in_progress(State::Locked));
    CHECK_FALSE(is_live(State::Spoiled));
}

TEST_CASE("a new journal gets the schema, WAL and its identity", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto j = open_batch(path);
        REQUIRE(j->current_batch().has_value());
        CHECK(j->current_batch()->id == 1);
        CHECK(j->current_batch()->pid == ::getpid());
        CHECK(j->current_batch()->station == "station-1");
        CHECK(j->current_batch()->input == "records.jsonl");
        // UTC ISO 8601 with milliseconds.
        const std::string t = j->current_batch()->started_at;
        REQUIRE(t.size() == 24);
        CHECK(t[4] == '-');
        CHECK(t[10] == 'T');
        CHECK(t[19] == '.');
        CHECK(t[23] == 'Z');
        CHECK(std::filesystem::exists(lock_path_for(path)));
    }
    RawDb raw(path);
    CHECK(raw.integer("PRAGMA user_version") == 3);
    CHECK(raw.integer("PRAGMA application_id") == 0x444B4A31);
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    for (const char* table : {"batches", "records", "attempts", "events"}) {
        CHECK(raw.integer(std::string("SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='") + table +
                          "'") == 1);
    }
    CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE type='index' AND name="
                      "'attempts_one_verified_per_record'") == 1);
}

TEST_CASE("reopening keeps data, and a batch not ended is recorded as interrupted", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto j = open_batch(path);
        j->register_record(entry("D1", "r.jsonl:1"));
    }
    {
        auto j = open_batch(path);
        j->end_batch(BatchOutcome::Complete);
        CHECK(j->current_batch()->outcome == std::optional<std::string>("complete"));
        CHECK(j->current_batch()->ended_at.has_value());
    }
    auto j = open_batch(path);
    auto b = j->batches();
    REQUIRE(b.size() == 3);
    CHECK(b[0].outcome == std::optional<std::string>("interrupted"));
    CHECK(b[1].outcome == std::optional<std::string>("complete"));
    CHECK_FALSE(b[2].outcome.has_value());
    CHECK(j->records().size() == 1);
}

TEST_CASE("a file that is not a docketcard journal is refused", "[journal]") {
    TempDir dir;
    const auto other = dir / "other.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(other.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(message_of([&] { open_batch(other); }) ==
          other.string() + " is not a docketcard journal (an SQLite database of another application)");
    CHECK(message_of([&] { open_sqlite_journal_read_only(other); }) ==
          other.string() + " is not a docketcard journal (an SQLite database of another application)");

    const auto text = dir / "text.db";
    {
        std::ofstream(text) << "this is not a database, just some text that is long enough to have a header";
    }
    CHECK(message_of([&] { open_batch(text); }) ==
          "journal " + text.string() + ": set journal_mode=WAL failed: file is not a database");
}

TEST_CASE("a journal with a newer schema is refused", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    open_batch(path).reset();
    {
        RawDb raw(path);
        REQUIRE(raw.exec("PRAGMA user_version = 4") == "");
    }
    CHECK(message_of([&] { open_batch(path); }) ==
          "journal " + path.string() +
              " has schema version 4, newer than this docketcard supports (3); use a newer docketcard");
}

TEST_CASE("records register as added, unchanged or changed", "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    auto r1 = j->register_record(entry("D1", "r.jsonl:1"));
    CHECK(r1.outcome == RecordRegistration::Outcome::Added);
    auto r1b = j->register_record(entry("D1", "r.jsonl:1"));
    CHECK(r1b.outcome == RecordRegistration::Outcome::Unchanged);
    CHECK(r1b.record_id == r1.record_id);
    // The same content moved to another line is not a change; the source follows it.
    CHECK(j->register_record(entry("D1", "r.jsonl:7")).outcome == RecordRegistration::Outcome::Unchanged);
    CHECK(j->record("D1")->source == "r.jsonl:7");

    auto changed = j->register_record(entry("D1", "r.jsonl:7", "new content"));
    CHECK(changed.outcome == RecordRegistration::Outcome::Changed);
    CHECK(changed.previous_digest == entry("D1", "x").digest);
    CHECK(j->record("D1")->digest == entry("D1", "x", "new content").digest);

    auto rejected = entry("D2", "r.jsonl:2");
    rejected.problems = {"date_of_expiry: before date_of_issue", "photo: file not found"};
    j->register_record(rejected);
    auto st = j->record("D2");
    REQUIRE(st.has_value());
    CHECK(st->state == State::Rejected);
    CHECK(st->problems == rejected.problems);

    // A rejected record without a document number is keyed by its source.
    auto nameless = entry("", "r.jsonl:3", "broken");
    nameless.problems = {"document_number: missing"};
    CHECK(j->register_record(nameless).outcome == RecordRegistration::Outcome::Added);
    CHECK(j->register_record(nameless).outcome == RecordRegistration::Outcome::Unchanged);
    CHECK(j->records().size() == 3);

    auto bad = entry("", "r.jsonl:4");
    CHECK(message_of([&] { j->register_record(bad); }, ErrorKind::Internal) ==
          "record at r.jsonl:4: a record without a document number must be rejected");
    bad = entry("D9", "r.jsonl:9");
    bad.digest = "abc";
    CHECK(message_of([&] { j->register_record(bad); }, ErrorKind::Internal) ==
          "record at r.jsonl:9: the record digest must be 64 upper-case hex digits");
}

TEST_CASE("an attempt goes writing -> written -> locked -> verified", "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    j->register_record(entry("D1", "r.jsonl:1"));
    CHECK(j->record("D1")->state == State::Pending);

    auto a = j->claim_record("D1", "Reader 0", false);
    CHECK(a.id == 1);
    CHECK(a.state == State::Writing);
    CHECK(a.document_number == "D1");
    CHECK(a.reader == "Reader 0");
    CHECK(a.station == "station-1");
    CHECK(a.batch_id == 1);
    CHECK(a.record_digest == entry("D1", "x").digest);
    CHECK_FALSE(a.card_serial.has_value());
    CHECK_FALSE(a.finished_at.has_value());
    CHECK(j->record("D1")->state == State::Writing);

    a = j->set_card_serial(a.id, serial_a);
    CHECK(a.card_serial == std::optional<std::string>("00112233445566778899"));
    CHECK(j->set_card_serial(a.id, serial_a).card_serial == a.card_serial);  // idempotent
    CHECK(j->mark_written(a.id).state == State::Written);
    CHECK(j->record("D1")->state == State::Written);
    CHECK(j->mark_locked(a.id).state == State::Locked);
    a = j->mark_verified(a.id);
    CHECK(a.state == State::Verified);
    CHECK(a.finished_at.has_value());
    auto st = j->record("D1");
    CHECK(st->state == State::Verified);
    REQUIRE(st->live_attempt.has_value());
    CHECK(st->live_attempt->id == a.id);
    CHECK(st->attempt_count == 1);

    RawDb raw(dir / "j.db");
    CHECK(raw.integer("SELECT count(*) FROM events WHERE attempt_id = 1") == 5);
}

TEST_CASE("refused transitions name the rule", "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    j->register_record(entry("D1", "r.jsonl:1"));
    auto a = j->claim_record("D1", "Reader 0", false);

    CHECK(message_of([&] { j->mark_written(a.id); }) ==
          "attempt 1 (D1) has no card serial; record it before marking the attempt written");
    CHECK(message_of([&] { j->mark_locked(a.id); }) ==
          "attempt 1 (D1) is writing; it cannot become locked (allowed from: written)");
    CHECK(message_of([&] { j->mark_verified(a.id); }) ==
          "attempt 1 (D1) is writing; it cannot become verified (allowed from: locked)");
    j->set_card_serial(a.id, serial_a);
    CHECK(message_of([&] { j->set_card_serial(a.id, serial_b); }) ==
          "attempt 1 (D1) already has card serial 00112233445566778899; refusing A0A1A2A3A4A5A6A7A8A9");
    j->mark_written(a.id);
    CHECK(message_of([&] { j->mark_verified(a.id); }) ==
          "attempt 1 (D1) is written; it cannot become verified (allowed from: locked)");
    CHECK(message_of([&] { j->mark_written(a.id); }) ==
          "attempt 1 (D1) is written; it cannot become written (allowed from: writing)");
    j->mark_locked(a.id);
    j->mark_verified(a.id);
    CHECK(message_of([&] { j->mark_spoiled(a.id, "x"); }) ==
          "attempt 1 (D1) is verified; it cannot become spoiled (allowed from: writing, written, locked)");
    CHECK(message_of([&] { j->note_error(a.id, "x"); }) ==
          "attempt 1 (D1) is verified; errors can only be noted on an attempt in progress");
    CHECK(message_of([&] { j->mark_locked(42); }) == "journal " + (dir / "j.db").string() + " has no attempt 42");
    CHECK(message_of([&] { j->set_card_serial(a.id, Bytes{}); }, ErrorKind::Internal) ==
          "attempt 1: a card serial has 1 to 32 bytes, not 0");
}

TEST_CASE("spoiling keeps the error and returns the record to pending", "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    j->register_record(entry("D1", "r.jsonl:1"));
    auto a = j->claim_record("D1", "Reader 0", false);
    j->set_card_serial(a.id, serial_a);
    CHECK(j->note_error(a.id, "card removed (retrying)").error == std::optional<std::string>("card removed (retrying)"));
    CHECK(j->note_error(a.id, "card removed (retrying)").state == State::Writing);
    a = j->mark_spoiled(a.id, "UPDATE BINARY: 6A84 not enough memory");
    CHECK(a.state == State::Spoiled);
    CHECK(a.error == std::optional<std::string>("UPDATE BINARY: 6A84 not enough memory"));
    CHECK(a.finished_at.has_value());
    CHECK(j->record("D1")->state == State::Pending);
    CHECK_FALSE(j->record("D1")->live_attempt.has_value());

    // The spoiled card must be destroyed: its serial is refused for a new attempt.
    auto b = j->claim_record("D1", "Reader 1", false);
    CHECK(b.id == 2);
    CHECK(message_of([&] { j->set_card_serial(b.id, serial_a); }) ==
          "card 00112233445566778899 was already used by attempt 1 (D1, spoiled); a card is never reused for "
          "another attempt");
    j->set_card_serial(b.id, serial_b);
    CHECK(j->attempts_by_serial(serial_a).size() == 1);
    CHECK(j->attempts_by_serial(serial_a)[0].id == 1);
    CHECK(j->attempts_by_serial(serial_b)[0].id == 2);
    CHECK(j->attempts_by_serial(serial_c).empty());
    // A spoil without a card serial is allowed: the card never got data.
    j->register_record(entry("D2", "r.jsonl:2"));
    auto c = j->claim_record("D2", "Reader 0", false);
    CHECK(j->mark_spoiled(c.id, "interrupted before the card serial was read").state == State::Spoiled);
}

TEST_CASE("exactly once: the claim is refused for a verified, in-progress, rejected or unknown record",
          "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    j->register_record(entry("D1", "r.jsonl:1"));
    j->register_record(entry("D2", "r.jsonl:2"));
    auto rejected = entry("D3", "r.jsonl:3");
    rejected.problems = {"sex: must be F, M or X", "nationality: unknown code"};
    j->register_record(rejected);

    auto v = issue(*j, "D1", serial_a);
    const std::string verified_msg = "document number D1 was already verified on card 00112233445566778899 (attempt 1, " +
                                     *v.finished_at + "); use --reissue to issue a replacement card";
    CHECK(j->claim_refusal("D1", false) == verified_msg);
    CHECK(message_of([&] { j->claim_record("D1", "Reader 0", false); }) == verified_msg);

    auto w = j->claim_record("D2", "Reader 1", false);
    const std::string busy_msg = "document number D2 is in progress in attempt 2 (writing, card serial not yet read, "
                                 "reader Reader 1); resume or spoil that attempt first";
    CHECK(message_of([&] { j->claim_record("D2", "Reader 0", false); }) == busy_msg);
    CHECK(message_of([&] { j->claim_record("D2", "Reader 0", true); }) == busy_msg);
    j->set_card_serial(w.id, serial_b);
    CHECK(j->claim_refusal("D2", false) ==
          std::optional<std::string>("document number D2 is in progress in attempt 2 (writing, card "
                                     "A0A1A2A3A4A5A6A7A8A9, reader Reader 1); resume or spoil that attempt first"));

    CHECK(j->claim_refusal("D3", true) ==
          std::optional<std::string>("document number D3 (r.jsonl:3) is rejected and cannot be personalized: sex: "
                                     "must be F, M or X; nationality: unknown code"));
    CHECK(j->claim_refusal("D4", false) ==
          std::optional<std::string>("document number D4 is not registered in the journal"));
    CHECK_FALSE(j->claim_refusal("D1", true).has_value());
    CHECK(j->attempts().size() == 2);
}

TEST_CASE("--reissue supersedes the verified card in the same transaction", "[journal]") {
    TempDir dir;
    auto j = open_batch(dir / "j.db");
    j->register_record(entry("D1", "r.jsonl:1"));
    auto old = issue(*j, "D1", serial_a);
    REQUIRE(old.finished_at.has_value());
    CHECK(old.source == "r.jsonl:1");
    CHECK_FALSE(old.superseded_at.has_value());
    j->register_record(entry("D1", "fixed.jsonl:7", "corrected name"));

    auto fresh = j->claim_record("D1", "Reader 0", true);
    CHECK(fresh.id == 2);
    CHECK(fresh.record_digest == entry("D1", "x", "corrected name").digest);
    CHECK(fresh.source == "fixed.jsonl:7");
    auto o = *j->attempt(old.id);
    CHECK(o.state == State::Superseded);
    // The audit history of the old card stays as it was: when it was verified, and from which
    // input line; the supersede time is its own column.
    CHECK(o.finished_at == old.finished_at);
    CHECK(o.source == "r.jsonl:1");
    CHECK(o.superseded_at == std::optional<std::string>(fresh.started_at));
    CHECK(o.superseded_by == std::optional<AttemptId>(2));
    CHECK(o.error == std::optional<std::string>("superseded by attempt 2 (--reissue)"));
    CHECK(o.record_digest == entry("D1", "x").digest);
    CHECK(j->record("D1")->state == State::Writing);

    j->set_card_serial(fresh.id, serial_b);
    j->mark_written(fresh.id);
    j->mark_locked(fresh.id);
    j->mark_verified(fresh.id);
    CHECK(j->record("D1")->state == State::Verified);
    CHECK(j->record("D1")->live_attempt->card_serial == std::optional<std::string>("A0A1A2A3A4A5A6A7A8A9"));
    CHECK(j->record("D1")->attempt_count == 2);

    auto s = j->summary();
    CHECK(s.by_state[State::Verified] == 1);
    CHECK(s.by_state[State::Superseded] == 1);
    CHECK(s.records == 1);
    CHECK(s.attempts == 2);
}

TEST_CASE("the database itself refuses a second verified card and illegal transitions", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto j = open_batch(path);
        j->register_record(entry("D1", "r.jsonl:1"));
        j->register_record(entry("D2", "r.jsonl:2"));
        issue(*j, "D1", serial_a);
        auto b = j->claim_record("D2", "Reader 0", false);
        j->set_card_serial(b.id, serial_b);
        j->mark_written(b.id);
    }
    RawDb raw(path);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == "");
    // A bug above the journal that inserted a second live attempt for D1.
    CHECK(raw.exec("INSERT INTO attempts(record_id, batch_id, station, reader, record_digest, state, started_at, "
                   "updated_at) VALUES (1, 1, 's', 'r', 'x', 'writing', 't', 't')") ==
          "UNIQUE constraint failed: attempts.record_id");
    CHECK(raw.exec("UPDATE attempts SET state = 'verified' WHERE id = 2") ==
          "journal rule: attempt state transition not allowed");
    CHECK(raw.exec("UPDATE attempts SET state = 'writing' WHERE id = 1") ==
          "journal rule: attempt state transition not allowed");
    CHECK(raw.exec("UPDATE attempts SET card_serial = 'FF' WHERE id = 1") == "journal rule: a card serial never changes");
    CHECK(raw.exec("DELETE FROM attempts WHERE id = 1") == "journal rule: attempts are never deleted");
    CHECK(raw.exec("DELETE FROM records") == "journal rule: records are never deleted");
    // Even a direct attempt to verify two cards for one record: the partial unique index holds.
    CHECK(raw.exec("DROP TRIGGER attempts_transition") == "");
    CHECK(raw.exec("UPDATE attempts SET state = 'verified', record_id = 1 WHERE id = 2") ==
          "UNIQUE constraint failed: attempts.record_id");
}

TEST_CASE("resume queries return attempts in progress with their serials", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto j = open_batch(path);
        for (const char* d : {"D1", "D2", "D3", "D4", "D5"}) j->register_record(entry(d, std::string("r:") + d));
        issue(*j, "D1", serial_a);
        auto b = j->claim_record("D2", "Reader 0", false);
        j->set_card_serial(b.id, serial_b);
        j->mark_written(b.id);
        j->mark_locked(b.id);
        j->claim_record("D3", "Reader 1", false);  // killed before the serial was read
        auto d = j->claim_record("D4", "Reader 0", false);
        j->set_card_serial(d.id, serial_c);
        // the process dies here
    }
    auto j = open_batch(path);
    auto in = j->in_progress_attempts();
    REQUIRE(in.size() == 3);
    CHECK(in[0].document_number == "D2");
    CHECK(in[0].state == State::Locked);
    CHECK(in[0].card_serial == std::optional<std::string>("A0A1A2A3A4A5A6A7A8A9"));
    CHECK(in[1].document_number == "D3");
    CHECK(in[1].state == State::Writing);
    CHECK_FALSE(in[1].card_serial.has_value());
    CHECK(in[2].document_number == "D4");
    CHECK(in[2].card_serial == std::optional<std::string>("C0C1C2C3C4C5C6C7C8C9"));
    CHECK(j->attempts_by_serial(serial_b)[0].id == in[0].id);
    // The resume: finish the locked card, spoil the unidentified one, spoil the other.
    j->mark_verified(in[0].id);
    j->mark_spoiled(in[1].id, "interrupted before the card serial was read");
    j->mark_spoiled(in[2].id, "card C0C1C2C3C4C5C6C7C8C9 not presented on resume");
    CHECK(j->in_progress_attempts().empty());
    auto s = j->summary();
    CHECK(s.by_state[State::Verified] == 2);
    CHECK(s.by_state[State::Pending] == 3);
    CHECK(s.by_state[State::Spoiled] == 2);
    CHECK(s.by_state[State::Writing] == 0);
    CHECK(s.records == 5);
    CHECK(s.attempts == 4);
    CHECK(j->claim_refusal("D3", false) == std::nullopt);
}

TEST_CASE("resume_step applies the resume rules", "[journal]") {
    Attempt a;
    a.id = 7;
    a.record_digest = "AA";
    a.state = State::Writing;
    CHECK(resume_step(a, "AA") == ResumeStep::SpoilUnread);
    a.card_serial = "0011";
    CHECK(resume_step(a, "AA") == ResumeStep::IdentifyCard);
    CHECK(resume_step(a, "BB") == ResumeStep::SpoilOutdated);
    a.state = State::Locked;
    CHECK(resume_step(a, "AA") == ResumeStep::IdentifyCard);
    a.state = State::Verified;
    CHECK(message_of([&] { resume_step(a, "AA"); }, ErrorKind::Internal) ==
          "attempt 7 is verified, not in progress: there is nothing to resume");
}

TEST_CASE("a read-only journal reads while a batch runs and refuses changes", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    auto j = open_batch(path);
    j->register_record(entry("D1", "r.jsonl:1"));
    auto a = j->claim_record("D1", "Reader 0", false);

    auto ro = open_sqlite_journal_read_only(path);
    CHECK_FALSE(ro->current_batch().has_value());
    CHECK(ro->records().size() == 1);
    CHECK(ro->record("D1")->state == State::Writing);
    j->set_card_serial(a.id, serial_a);
    j->mark_written(a.id);
    CHECK(ro->attempt(a.id)->state == State::Written);  // sees commits made after it opened
    CHECK(ro->summary().by_state[State::Written] == 1);
    CHECK(message_of([&] { ro->register_record(entry("D2", "x")); }) ==
          "journal " + path.string() + " is open read-only: cannot register a record");
    CHECK(message_of([&] { ro->mark_locked(a.id); }) ==
          "journal " + path.string() + " is open read-only: cannot mark an attempt locked");

    const auto missing = dir / "missing.db";
    CHECK(message_of([&] { open_sqlite_journal_read_only(missing); }, ErrorKind::InvalidInput) ==
          "journal " + missing.string() + " does not exist (or is not a file)");
    CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("a read-only journal opens after the batch closed it cleanly", "[journal]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto j = open_batch(path);
        j->register_record(entry("D1", "r.jsonl:1"));
        j->end_batch(BatchOutcome::Complete);
    }
    auto ro = open_sqlite_journal_read_only(path);
    CHECK(ro->records().size() == 1);
    CHECK(ro->batches().at(0).outcome == std::optional<std::string>("complete"));
}

TEST_CASE("a schema 1 journal is migrated: a reissue's overwritten finish time is restored", "[journal]") {
    TempDir dir;
    const auto path = dir / "v1.db";
    const std::string digest(64, 'A');
    {
        // A journal as docketcard with schema 1 left it: D1 verified on card 0011..., then reissued
        // (attempt 2, not yet finished), which overwrote attempt 1's finished_at with the reissue
        // time and moved the record's source to the new input line.
        sqlite3* created = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &created) == SQLITE_OK);
        sqlite3_close(created);
        RawDb raw(path);
        REQUIRE(raw.exec(sqlite::migration_1) == "");
        REQUIRE(raw.exec("PRAGMA application_id = 1145784881; PRAGMA user_version = 1") == "");
        REQUIRE(raw.exec(
                    "INSERT INTO batches(id, station, input, pid, started_at, ended_at, outcome) VALUES "
                    "(1, 'desk-1', 'old.jsonl', 10, '2025-03-04T09:00:00.000Z', '2025-03-04T09:30:00.000Z', "
                    "'complete'), (2, 'desk-1', 'new.jsonl', 11, '2025-03-05T10:00:00.000Z', NULL, NULL);"
                    "INSERT INTO records(id, document_number, source, digest, state, batch_id, registered_at, "
                    "updated_at) VALUES (1, 'D1', 'new.jsonl:5', '" + digest + "', 'pending', 1, "
                    "'2025-03-04T09:00:00.100Z', '2025-03-05T10:00:00.100Z');"
                    "INSERT INTO attempts(id, record_id, batch_id, station, reader, record_digest, state, started_at, "
                    "updated_at) VALUES (1, 1, 1, 'desk-1', 'Reader 0', '" + digest + "', 'writing', "
                    "'2025-03-04T09:01:00.000Z', '2025-03-04T09:01:00.000Z');"
                    "UPDATE attempts SET card_serial = '00112233445566778899' WHERE id = 1;"
                    "UPDATE attempts SET state = 'written' WHERE id = 1;"
                    "UPDATE attempts SET state = 'locked' WHERE id = 1;"
                    "UPDATE attempts SET state = 'verified', finished_at = '2025-03-04T09:02:00.000Z' WHERE id = 1;"
                    "INSERT INTO events(attempt_id, state, at, detail) VALUES "
                    "(1, 'writing', '2025-03-04T09:01:00.000Z', 'claimed on reader Reader 0'),"
                    "(1, 'verified', '2025-03-04T09:02:00.000Z', '');"
                    "UPDATE attempts SET state = 'superseded', updated_at = '2025-03-05T10:01:00.000Z', "
                    "finished_at = '2025-03-05T10:01:00.000Z' WHERE id = 1;"
                    "INSERT INTO attempts(id, record_id, batch_id, station, reader, record_digest, state, started_at, "
                    "updated_at) VALUES (2, 1, 2, 'desk-1', 'Reader 1', '" + digest + "', 'writing', "
                    "'2025-03-05T10:01:00.000Z', '2025-03-05T10:01:00.000Z');"
                    "UPDATE attempts SET superseded_by = 2, error = 'superseded by attempt 2 (--reissue)' "
                    "WHERE id = 1;"
                    "INSERT INTO events(attempt_id, state, at, detail) VALUES "
                    "(1, 'superseded', '2025-03-05T10:01:00.000Z', 'superseded by attempt 2 (--reissue)');") == "");
    }
    // The read-only view asks for the upgrade; a batch opening applies it.
    CHECK(message_of([&] { open_sqlite_journal_read_only(path); }) ==
          "journal " + path.string() + " has schema version 1; run a batch on it to upgrade it to 3");
    {
        auto j = open_batch(path);
        const auto a1 = *j->attempt(1);
        CHECK(a1.state == State::Superseded);
        CHECK(a1.finished_at == std::optional<std::string>("2025-03-04T09:02:00.000Z"));
        CHECK(a1.superseded_at == std::optional<std::string>("2025-03-05T10:01:00.000Z"));
        CHECK(a1.superseded_by == std::optional<AttemptId>(2));
        CHECK(a1.source == "new.jsonl:5");  // schema 1 kept only the record's latest source
        const auto a2 = *j->attempt(2);
        CHECK(a2.state == State::Writing);
        CHECK_FALSE(a2.finished_at.has_value());
        CHECK_FALSE(a2.superseded_at.has_value());
        CHECK(a2.source == "new.jsonl:5");
        CHECK(j->batches().size() == 3);
    }
    RawDb raw(path);
    CHECK(raw.integer("PRAGMA user_version") == 3);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    // From schema 2 on, the database refuses to rewrite the history.
    CHECK(raw.exec("UPDATE attempts SET finished_at = '2030-01-01T00:00:00.000Z' WHERE id = 1") ==
          "journal rule: an attempt's finish time never changes");
    CHECK(raw.exec("UPDATE attempts SET superseded_at = '2030-01-01T00:00:00.000Z' WHERE id = 1") ==
          "journal rule: an attempt's supersede time never changes");
    CHECK(raw.exec("UPDATE attempts SET source = 'other.jsonl:1' WHERE id = 1") ==
          "journal rule: an attempt's source never changes");
    auto ro = open_sqlite_journal_read_only(path);
    CHECK(ro->attempt(1)->finished_at == std::optional<std::string>("2025-03-04T09:02:00.000Z"));
}
