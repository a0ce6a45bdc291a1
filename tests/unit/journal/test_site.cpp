// The site view of a shared journal (`docketcard journal --journal URI`): per station and reader,
// attempts by state and cards per hour; and the checks of a journal URI (no server needed).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "docketcard/journal/audit.hpp"
#include "docketcard/journal/pg_journal.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using namespace docketcard::journal;

namespace {

Attempt attempt(AttemptId id, std::string station, std::string reader, State state, std::string started,
                std::optional<std::string> finished) {
    Attempt a;
    a.id = id;
    a.document_number = "D" + std::to_string(id);
    a.station = std::move(station);
    a.reader = std::move(reader);
    a.state = state;
    a.started_at = std::move(started);
    a.updated_at = a.started_at;
    a.finished_at = std::move(finished);
    return a;
}

/// st-1 on one reader: 3 verified cards from 10:00:00 to 10:06:00 (30 an hour) and one spoiled;
/// st-2: one card in progress; a batch of st-2 still open.
Audit sample_site() {
    Audit a;
    a.attempts = {
        attempt(1, "st-1", "sim:/c/a/", State::Verified, "2026-12-03T10:00:00.000Z", "2026-12-03T10:02:00.000Z"),
        attempt(2, "st-1", "sim:/c/a/", State::Spoiled, "2026-12-03T10:02:00.000Z", "2026-12-03T10:03:00.000Z"),
        attempt(3, "st-1", "sim:/c/a/", State::Verified, "2026-12-03T10:03:00.000Z", "2026-12-03T10:04:30.000Z"),
        attempt(4, "st-1", "sim:/c/a/", State::Superseded, "2026-12-03T10:04:30.000Z", "2026-12-03T10:06:00.000Z"),
        attempt(5, "st-2", "Reader 0", State::Written, "2026-12-03T10:05:00.000Z", std::nullopt),
    };
    Batch b;
    b.id = 7;
    b.station = "st-2";
    b.pid = 4242;
    b.started_at = "2026-12-03T09:59:00.000Z";
    Batch c = b;
    c.id = 8;
    c.station = "st-3";
    c.host = "desk-3";
    c.lease_expires = "2026-12-03T10:07:00.000Z";
    a.batches = {b, c};
    for (State s : all_states()) a.summary.by_state[s] = 0;
    a.summary.by_state[State::Verified] = 2;
    a.summary.by_state[State::Written] = 1;
    a.summary.by_state[State::Spoiled] = 1;
    a.summary.by_state[State::Superseded] = 1;
    a.summary.records = 3;
    a.summary.attempts = 5;
    return a;
}

}  // namespace

TEST_CASE("site rows: attempts by state per station and reader, cards per hour over the working span", "[site]") {
    const auto rows = site_rows(sample_site());
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].station == "st-1");
    CHECK(rows[0].by_state.at(State::Verified) == 2);
    CHECK(rows[0].by_state.at(State::Spoiled) == 1);
    CHECK(rows[0].by_state.at(State::Superseded) == 1);
    CHECK(rows[0].cards == 3);
    REQUIRE(rows[0].cards_per_hour);
    CHECK(*rows[0].cards_per_hour == Approx(30.0));   // 3 cards in 6 minutes
    CHECK(rows[0].last_finished == "2026-12-03T10:06:00.000Z");
    CHECK(rows[1].station == "st-2");
    CHECK(rows[1].cards == 0);
    CHECK_FALSE(rows[1].cards_per_hour);
}

TEST_CASE("site text, CSV and JSON", "[site]") {
    const auto audit = sample_site();
    CHECK(site_text(audit) ==
          "STATION  READER     WRITING  WRITTEN  LOCKED  VERIFIED  SPOILED  SUPERSEDED  CARDS/H  LAST FINISHED\n"
          "st-1     sim:/c/a/        0        0       0         2        1           1     30.0  2026-12-03 10:06:00\n"
          "st-2     Reader 0         0        1       0         0        0           0        -  -\n"
          "\n"
          "stations running: st-2 (batch 7, pid 4242, since 2026-12-03 09:59:00), st-3 (batch 8, pid 4242 on desk-3, "
          "since 2026-12-03 09:59:00, lease until 2026-12-03 10:07:00)\n"
          "3 records, 5 card attempts: pending 0, rejected 0, writing 0, written 1, locked 0, verified 2, spoiled 1, "
          "superseded 1\n");
    CHECK(site_csv(audit) ==
          "station,reader,writing,written,locked,verified,spoiled,superseded,cards_per_hour,last_finished_at\r\n"
          "st-1,sim:/c/a/,0,0,0,2,1,1,30.0,2026-12-03T10:06:00.000Z\r\n"
          "st-2,Reader 0,0,1,0,0,0,0,,\r\n");
    const auto doc = nlohmann::json::parse(site_json(audit));
    REQUIRE(doc["site"].size() == 2);
    CHECK(doc["site"][0]["cards"] == 3);
    CHECK(doc["site"][0]["states"]["spoiled"] == 1);
    CHECK(doc["site"][1]["cards_per_hour"].is_null());
    CHECK(doc["attempts"].size() == 5);
    CHECK(doc["batches"][1]["lease_expires"] == "2026-12-03T10:07:00.000Z");
    CHECK(doc["batches"][0]["host"].is_null());
}

TEST_CASE("a journal URI: selected by its scheme; a password in it is a usage error that does not repeat it",
          "[site][uri]") {
    CHECK(is_journal_uri("postgresql://dk@db/site"));
    CHECK(is_journal_uri("postgres://dk@db/site"));
    CHECK_FALSE(is_journal_uri("/var/lib/docketcard/batch.db"));
    CHECK_FALSE(is_journal_uri("postgresql.db"));
    CHECK_NOTHROW(check_journal_uri("postgresql://dk@db.site:5433/issuance?sslmode=verify-full"));
    for (const std::string uri : {"postgresql://dk:hunter2@db/site", "postgresql://dk@db/site?password=hunter2"}) {
        INFO(uri);
        try {
            check_journal_uri(uri);
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Usage);
            CHECK(std::string(e.what()).find("holds a password") != std::string::npos);
            CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
        }
    }
    try {
        check_journal_uri("postgresql://dk@db/site?nosuchoption=1");
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Usage);
        CHECK(std::string(e.what()).find("not a valid PostgreSQL connection URI") != std::string::npos);
    }
}
