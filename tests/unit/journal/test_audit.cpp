// The audit renderings of `docketcard journal`: RFC 4180 CSV, JSON and the text table.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "docketcard/journal/audit.hpp"
#include "docketcard/journal/sqlite_journal.hpp"
#include "journal_test_util.hpp"

using namespace docketcard;
using namespace docketcard::journal;
using journal_test::entry;
using journal_test::TempDir;

namespace {

/// D1 verified, D2 spoiled then written on a second card, D3 rejected, D4 pending.
Audit sample_audit(const std::filesystem::path& path) {
    {
        auto j = open_sqlite_journal(path, {"desk-1", "r.jsonl"});
        auto d1 = entry("D1", "r.jsonl:1");
        d1.background_check = "NSBC-D1";
        j->register_record(d1);
        j->register_record(entry("D2", "r.jsonl:2"));
        auto rejected = entry("D3", "r.jsonl:3");
        rejected.problems = {"sex: must be F, M or X", "photo: \"p.jpg\" not found"};
        j->register_record(rejected);
        j->register_record(entry("D4", "r.jsonl:4"));
        auto a = j->claim_record("D1", "Reader 0", false);
        j->set_card_serial(a.id, from_hex("00112233445566778899"));
        j->mark_written(a.id);
        j->mark_locked(a.id);
        j->mark_verified(a.id);
        auto b = j->claim_record("D2", "Reader 0", false);
        j->set_card_serial(b.id, from_hex("AABBCCDDEEFF00112233"));
        j->mark_spoiled(b.id, "UPDATE BINARY: 6A84, card removed\nsecond line");
        auto c = j->claim_record("D2", "Reader, \"1\"", false);
        j->set_card_serial(c.id, from_hex("0102030405060708090A"));
        j->mark_written(c.id);
    }
    auto ro = open_sqlite_journal_read_only(path);
    return read_audit(*ro);
}

std::vector<std::string> split_crlf(const std::string& s) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (auto pos = s.find("\r\n"); pos != std::string::npos; pos = s.find("\r\n", start)) {
        lines.push_back(s.substr(start, pos - start));
        start = pos + 2;
    }
    CHECK(start == s.size());  // every line ends with CRLF
    return lines;
}

}  // namespace

TEST_CASE("CSV fields are quoted as RFC 4180 requires", "[journal][audit]") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("the CSV audit has a header and one row per attempt or attempt-less record", "[journal][audit]") {
    TempDir dir;
    const auto audit = sample_audit(dir / "j.db");
    const auto lines = split_crlf(audit_csv(audit));
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "attempt,document_number,state,reader,card_serial,started_at,finished_at,superseded_at,source,"
                      "background_check,error");
    const auto& a1 = audit.attempts.at(0);
    CHECK(lines[1] == "1,D1,verified,Reader 0,00112233445566778899," + a1.started_at + "," + *a1.finished_at +
                          ",,r.jsonl:1,NSBC-D1,");
    const auto& a2 = audit.attempts.at(1);
    CHECK(lines[2] == "2,D2,spoiled,Reader 0,AABBCCDDEEFF00112233," + a2.started_at + "," + *a2.finished_at +
                          ",,r.jsonl:2,,\"UPDATE BINARY: 6A84, card removed\nsecond line\"");
    CHECK(lines[3] == "3,D2,written,\"Reader, \"\"1\"\"\",0102030405060708090A," + audit.attempts.at(2).started_at +
                          ",,,r.jsonl:2,,");
    CHECK(lines[4] == ",D3,rejected,,,,,,r.jsonl:3,,\"sex: must be F, M or X; photo: \"\"p.jpg\"\" not found\"");
    CHECK(lines[5] == ",D4,pending,,,,,,r.jsonl:4,,");
}

TEST_CASE("the JSON audit holds attempts, records and the summary by state", "[journal][audit]") {
    TempDir dir;
    const auto audit = sample_audit(dir / "j.db");
    const auto doc = nlohmann::json::parse(audit_json(audit));
    CHECK(doc["ok"] == true);
    REQUIRE(doc["attempts"].size() == 3);
    CHECK(doc["attempts"][0]["state"] == "verified");
    CHECK(doc["attempts"][0]["card_serial"] == "00112233445566778899");
    CHECK(doc["attempts"][1]["error"] == "UPDATE BINARY: 6A84, card removed\nsecond line");
    CHECK(doc["attempts"][2]["finished_at"].is_null());
    CHECK(doc["attempts"][2]["superseded_at"].is_null());
    CHECK(doc["attempts"][2]["source"] == "r.jsonl:2");
    // The background check the card was issued on, copied from the record at claim time.
    CHECK(doc["attempts"][0]["background_check"] == "NSBC-D1");
    CHECK(doc["attempts"][1]["background_check"] == "");
    REQUIRE(doc["records"].size() == 4);
    CHECK(doc["records"][1]["state"] == "written");
    CHECK(doc["records"][1]["attempts"] == 2);
    CHECK(doc["records"][2]["problems"] ==
          nlohmann::json::array({"sex: must be F, M or X", "photo: \"p.jpg\" not found"}));
    CHECK(doc["summary"] == nlohmann::json({{"pending", 1},
                                            {"rejected", 1},
                                            {"writing", 0},
                                            {"written", 1},
                                            {"locked", 0},
                                            {"verified", 1},
                                            {"spoiled", 1},
                                            {"superseded", 0}}));
    CHECK(doc["totals"] == nlohmann::json({{"records", 4}, {"attempts", 3}}));
    CHECK(doc["batches"].size() == 1);
}

TEST_CASE("the text audit ends with the counts by state", "[journal][audit]") {
    TempDir dir;
    const auto audit = sample_audit(dir / "j.db");
    const auto text = audit_text(audit);
    auto short_time = [](std::string t) {
        t[10] = ' ';
        return t.substr(0, 19);
    };
    CHECK(text.rfind("ATTEMPT  DOCUMENT  STATE     READER", 0) == 0);
    const std::string tail = "\n4 records, 3 card attempts: pending 1, rejected 1, writing 0, written 1, locked 0, "
                             "verified 1, spoiled 1, superseded 0\n";
    REQUIRE(text.size() > tail.size());
    CHECK(text.substr(text.size() - tail.size()) == tail);
    CHECK(text.find("\n-        D4        pending   -") != std::string::npos);
    CHECK(text.find("  CARD SERIAL           FINISHED\n") != std::string::npos);
    CHECK(text.find("\n    from r.jsonl:1, started " + short_time(audit.attempts.at(0).started_at) +
                    ", background check NSBC-D1\n") != std::string::npos);
    CHECK(text.find("\n    from r.jsonl:3: sex: must be F, M or X; photo: \"p.jpg\" not found\n") != std::string::npos);
    CHECK(text.find("\n    from r.jsonl:2, started ") != std::string::npos);
    CHECK(text.find(", error: UPDATE BINARY: 6A84, card removed\n    second line\n") != std::string::npos);
    // Every line fits 120 columns.
    for (std::size_t at = 0, next; at < text.size(); at = next + 1) {
        next = text.find('\n', at);
        CHECK(next - at <= 120);
    }
}

TEST_CASE("a reissued card keeps its finish time and source; the audit shows when it was superseded",
          "[journal][audit]") {
    TempDir dir;
    const auto path = dir / "j.db";
    Attempt first, second;
    {
        auto j = open_sqlite_journal(path, {"desk-1", "a.jsonl"});
        j->register_record(entry("D1", "a.jsonl:1"));
        first = j->claim_record("D1", "Reader 0", false);
        j->set_card_serial(first.id, from_hex("00112233445566778899"));
        j->mark_written(first.id);
        j->mark_locked(first.id);
        first = j->mark_verified(first.id);
    }
    {
        auto j = open_sqlite_journal(path, {"desk-1", "b.jsonl"});
        j->register_record(entry("D1", "b.jsonl:4"));
        second = j->claim_record("D1", "Reader 1", true);
    }
    auto ro = open_sqlite_journal_read_only(path);
    const auto audit = read_audit(*ro);
    REQUIRE(audit.attempts.size() == 2);
    const auto& old = audit.attempts[0];
    REQUIRE(first.finished_at.has_value());
    CHECK(old.finished_at == first.finished_at);
    CHECK(old.superseded_at == std::optional<std::string>(second.started_at));

    const auto lines = split_crlf(audit_csv(audit));
    REQUIRE(lines.size() == 3);
    CHECK(lines[1] == "1,D1,superseded,Reader 0,00112233445566778899," + first.started_at + "," +
                          *first.finished_at + "," + second.started_at +
                          ",a.jsonl:1,,superseded by attempt 2 (--reissue)");
    CHECK(lines[2] == "2,D1,writing,Reader 1,," + second.started_at + ",,,b.jsonl:4,,");

    const auto doc = nlohmann::json::parse(audit_json(audit));
    CHECK(doc["attempts"][0]["finished_at"] == *first.finished_at);
    CHECK(doc["attempts"][0]["superseded_at"] == second.started_at);
    CHECK(doc["attempts"][0]["source"] == "a.jsonl:1");
    CHECK(doc["attempts"][1]["superseded_at"].is_null());
    CHECK(doc["attempts"][1]["source"] == "b.jsonl:4");

    const auto text = audit_text(audit);
    auto short_time = [](std::string t) {
        t[10] = ' ';
        return t.substr(0, 19);
    };
    INFO(text);
    CHECK(text.find("  " + short_time(*first.finished_at) + "\n    from a.jsonl:1, started " +
                    short_time(first.started_at) + ", superseded " + short_time(second.started_at) +
                    ", error: superseded by attempt 2\n    (--reissue)\n") != std::string::npos);   // wrapped at 120
}
