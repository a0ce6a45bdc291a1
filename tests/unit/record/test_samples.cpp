// The committed samples: the same holders in JSON Lines, CSV and JSON load identically.
#include <catch2/catch.hpp>

#include <filesystem>

#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"

using namespace docketcard;
using namespace docketcard::record;

namespace {
const std::filesystem::path kSamples = std::filesystem::path(DOCKETCARD_SOURCE_DIR) / "samples";

LoadOptions fixed_today() {
    LoadOptions o;
    o.today = Date{2026, 11, 26};
    return o;
}

std::string dump(const LoadResult& r) {
    std::string out;
    for (const auto& rej : r.rejected)
        for (const auto& p : rej.problems) out += p.to_string() + "\n";
    return out;
}

void require_same(const HolderRecord& a, const HolderRecord& b) {
    CAPTURE(a.document_number, b.document_number);
    CHECK(a.document_number == b.document_number);
    CHECK(a.document_code == b.document_code);
    CHECK(a.issuing_state == b.issuing_state);
    CHECK(a.surname == b.surname);
    CHECK(a.given_names == b.given_names);
    CHECK(a.sex == b.sex);
    CHECK(a.date_of_birth == b.date_of_birth);
    CHECK(a.nationality == b.nationality);
    CHECK(a.place_of_birth == b.place_of_birth);
    CHECK(a.date_of_issue == b.date_of_issue);
    CHECK(a.date_of_expiry == b.date_of_expiry);
    CHECK(a.photo_path == b.photo_path);
    CHECK(a.photo == b.photo);
    CHECK(a.a_number == b.a_number);
    CHECK(a.card_access_number == b.card_access_number);
    CHECK(a.docket.court == b.docket.court);
    CHECK(a.docket.case_number == b.docket.case_number);
    CHECK(a.docket.next_hearing == b.docket.next_hearing);
    CHECK(a.docket.release_type == b.docket.release_type);
    CHECK(a.docket.reporting_office == b.docket.reporting_office);
    CHECK(a.docket.check_in_interval_days == b.docket.check_in_interval_days);
    CHECK(a.docket.conditions == b.docket.conditions);
    CHECK(a.background_check == b.background_check);
    CHECK(a.documents == b.documents);
    CHECK(a.portal_reference == b.portal_reference);
}
}  // namespace

TEST_CASE("samples/holders.jsonl and samples/holders.csv give identical records", "[record][samples]") {
    const auto jsonl = load_records(kSamples / "holders.jsonl", fixed_today());
    const auto csv = load_records(kSamples / "holders.csv", fixed_today());
    INFO(dump(jsonl) + dump(csv));
    REQUIRE(jsonl.ok());
    REQUIRE(csv.ok());
    REQUIRE(jsonl.records.size() == 21);
    REQUIRE(csv.records.size() == 21);
    for (std::size_t i = 0; i < jsonl.records.size(); ++i) {
        require_same(jsonl.records[i], csv.records[i]);
        CHECK(jsonl.records[i].source_line == static_cast<int>(i) + 1);
        CHECK(csv.records[i].source_line == static_cast<int>(i) + 2);
    }
    const auto one = load_records(kSamples / "holder.json", fixed_today());
    INFO(dump(one));
    REQUIRE(one.ok());
    REQUIRE(one.records.size() == 1);
    require_same(one.records[0], jsonl.records[0]);
    CHECK(one.records[0].source_line == 1);
}

TEST_CASE("the samples cover every release type, both A-number lengths and the photo kinds",
          "[record][samples]") {
    const auto r = load_records(kSamples / "holders.jsonl", fixed_today());
    REQUIRE(r.ok());
    for (auto t : all_release_types()) {
        CAPTURE(to_string(t));
        CHECK(std::any_of(r.records.begin(), r.records.end(),
                          [t](const HolderRecord& h) { return h.docket.release_type == t; }));
    }
    const auto& first = r.records[0];
    CHECK(first.surname == "Núñez");
    CHECK(first.a_number == "123456789");
    CHECK(r.records[1].a_number == "020481632");  // A20481632: 8 digits get a leading 0
    CHECK(r.records[5].nationality == "XXA");
    CHECK(r.records[18].nationality == "D<<");
    CHECK(r.records[8].date_of_birth == Date{1990, 0, 0});
    CHECK(r.records[9].date_of_birth == Date{1975, 5, 0});
    CHECK(r.records[20].photo.size() > 100);
    CHECK(r.records[20].photo[4] == 0x6A);  // JP2 signature box
    CHECK(first.photo[0] == 0xFF);
    // Every holder was cleared and carries 1-5 documents; holder 6 carries the most a card takes.
    for (const auto& h : r.records) {
        CAPTURE(h.document_number);
        CHECK(h.background_check.reference.rfind("NSBC-", 0) == 0);
        CHECK(!h.documents.empty());
        CHECK(h.documents.size() <= (h.document_number == "DC2600006" ? 16u : 5u));
    }
    CHECK(r.records[5].documents.size() == 16);
    CHECK(std::count_if(r.records.begin(), r.records.end(), [](const HolderRecord& h) { return h.portal_reference.has_value(); }) == 19);
    REQUIRE(first.card_access_number.has_value());
    CHECK(std::string(first.card_access_number->begin(), first.card_access_number->end()) == "137911");
    for (const auto& h : r.records) {
        CAPTURE(h.document_number);
        const auto td = mrz::make_td1(h);
        for (const auto& line : td.lines) CHECK(line.size() == 30);
    }
}

TEST_CASE("make_td1 of sample holders", "[record][samples][mrz]") {
    const auto r = load_records(kSamples / "holders.jsonl", fixed_today());
    REQUIRE(r.ok());
    const auto first = mrz::make_td1(r.records[0]);
    CHECK(first.lines[0] == "IDUSADC26000012123456789<<<<<<");
    CHECK(first.lines[1] == "8603142M2901019MEX<<<<<<<<<<<5");
    CHECK(first.lines[2] == "NUNEZ<<JOSE<MARIA<<<<<<<<<<<<<");
    const auto longname = mrz::make_td1(r.records[5]);
    CHECK(longname.lines[2] == "WOLFESCHLEGELSTEINHAUSEN<<HUBE");
}
