// Holder record loading and validation: exact messages, each refusal, JSON / JSON Lines / CSV.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "docketcard/record/csv.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using namespace docketcard::record;
using nlohmann::json;

namespace {
const std::filesystem::path kSamples = std::filesystem::path(DOCKETCARD_SOURCE_DIR) / "samples";

LoadOptions opts() {
    LoadOptions o;
    o.today = Date{2026, 11, 26};
    return o;
}

json valid_record() {
    return json::parse(R"({"document_number": "DC2600001", "surname": "Núñez", "given_names": "José",
        "sex": "M", "date_of_birth": "1986-03-14", "nationality": "MEX", "date_of_issue": "2025-01-01",
        "date_of_expiry": "2029-01-01", "photo": "photos/holder-01.jpg", "a_number": "A123456789",
        "card_access_number": "137911", "docket": {"court": "LOS", "case_number": "LOS-1",
        "next_hearing": "2027-01-01T08:00:00-08:00", "release_type": "parole",
        "reporting_office": "ERO LOS", "check_in_interval_days": 7},
        "background_check": {"reference": "NSBC-2025-000001", "cleared_on": "2024-12-20",
        "agency": "National Vetting Center"},
        "documents": [{"form": "I-220A", "title": "Order of Release on Recognizance",
        "number": "LOS001-01", "issued_on": "2024-12-29", "issued_by": "ICE ERO LOS"}]})");
}

LoadResult load_jsonl(const std::string& text, const LoadOptions& o = opts()) {
    return parse_records(text, RecordFormat::JsonLines, "t.jsonl", kSamples, o);
}

// Every problem of a one-record load, as "FILE:LINE: field: message" strings.
std::vector<std::string> problems_of(const json& record, const LoadOptions& o = opts()) {
    const auto r = load_jsonl(record.dump() + "\n", o);
    std::vector<std::string> out;
    for (const auto& rej : r.rejected)
        for (const auto& p : rej.problems) out.push_back(p.to_string());
    return out;
}

std::vector<std::string> single(const std::string& s) { return {s}; }
}  // namespace

TEST_CASE("a valid record loads with every field", "[record]") {
    json rec = valid_record();
    rec["place_of_birth"] = "Oaxaca";
    rec["docket"]["conditions"] = {"Report in person", "Keep address current"};
    const auto r = load_jsonl(rec.dump());
    REQUIRE(r.ok());
    REQUIRE(r.records.size() == 1);
    const auto& h = r.records[0];
    CHECK(h.document_number == "DC2600001");
    CHECK(h.document_code == "ID");  // the LoadOptions default
    CHECK(h.issuing_state == "USA");
    CHECK(h.surname == "Núñez");
    CHECK(h.sex == 'M');
    CHECK(h.date_of_birth == Date{1986, 3, 14});
    CHECK(h.place_of_birth == std::optional<std::string>("Oaxaca"));
    CHECK(h.date_of_issue == Date{2025, 1, 1});
    CHECK(h.date_of_expiry == Date{2029, 1, 1});
    CHECK(h.photo_path == kSamples / "photos/holder-01.jpg");
    CHECK(h.photo.size() == std::filesystem::file_size(kSamples / "photos/holder-01.jpg"));
    CHECK(h.a_number == "123456789");
    CHECK(h.docket.release_type == ReleaseType::Parole);
    CHECK(h.docket.check_in_interval_days == 7);
    CHECK(h.docket.conditions == std::vector<std::string>{"Report in person", "Keep address current"});
    CHECK(h.source_file == "t.jsonl");
    CHECK(h.source_line == 1);
}

TEST_CASE("samples/invalid.jsonl: every problem of every record, exactly", "[record]") {
    const auto r = load_records(kSamples / "invalid.jsonl", opts());
    CHECK(r.records.empty());
    REQUIRE(r.rejected.size() == 10);
    const std::string f = (kSamples / "invalid.jsonl").string();
    CHECK(r.rejected[0].line == 1);
    CHECK(r.rejected[0].document_number == "DC-99001");
    REQUIRE(r.rejected[0].problems.size() == 12);
    CHECK(r.rejected[0].problems[1].to_string() ==
          f + ":1: document_number: \"DC-99001\" is not a document number; expected 1-9 characters A-Z 0-9");
    CHECK(r.rejected[0].problems[2].to_string() == f + ":1: sex: \"Q\" is not a sex marker; expected F, M or X");
    CHECK(r.rejected[0].problems[5].to_string() ==
          f + ":1: date_of_expiry: 2026-04-30 is not after date_of_issue 2026-05-01; expected a date after the date of issue");
    CHECK(r.rejected[0].problems[11].to_string() ==
          f + ":1: docket.check_in_interval_days: 0 is out of range; expected a whole number of days 1-365");
    REQUIRE(r.rejected[1].problems.size() == 5);
    CHECK(r.rejected[1].problems[0].to_string() ==
          f + ":2: date_of_issue: 2027-01-01 is in the future; expected a date not after today (2026-11-26)");
    CHECK(r.rejected[1].problems[1].to_string() ==
          f + ":2: photo: " + (kSamples / "photos/no-such-photo.jpg").string() +
              " does not exist or is not a file; expected the path of a JPEG or JPEG 2000 file, relative to the record file");
    REQUIRE(r.rejected[2].problems.size() == 7);
    CHECK(r.rejected[2].problems[0].to_string() ==
          f + ":3: surname: \"Иванов\": character U+0418 cannot be written in the MRZ; use Latin letters (with or without diacritics), spaces, hyphens, apostrophes, commas or periods");
    CHECK(r.rejected[2].problems[2].to_string() ==
          f + ":3: photo: " + (kSamples / "photos/not-a-photo.png").string() +
              " is neither JPEG nor JPEG 2000; expected a JPEG (starting FF D8 FF) or JPEG 2000 file (JP2 signature box or FF 4F FF 51 codestream)");
    CHECK(r.rejected[2].problems[6].to_string() ==
          f + ":3: docket.conditions[1]: is a number, not a string; expected a list of at most 20 texts of 1-200 bytes each");
    REQUIRE(r.rejected[3].problems.size() == 1);
    CHECK(r.rejected[3].problems[0].to_string() ==
          f + ":4: not valid JSON (parse error at line 1, column 58: syntax error while parsing object - unexpected end of input; expected '}'); expected one JSON object");
    REQUIRE(r.rejected[4].problems.size() == 11);
    CHECK(r.rejected[4].problems[0].to_string() == f + ":5: surname: missing; expected the holder's surname (UTF-8)");
    CHECK(r.rejected[4].problems[8].to_string() ==
          f + ":5: docket: missing; expected an object with the fields court, case_number, next_hearing, release_type, reporting_office, check_in_interval_days, conditions");
    CHECK(r.rejected[4].problems[9].to_string() ==
          f + ":5: background_check: missing; expected an object with the fields reference, cleared_on, agency (the national-security check the card is issued on)");
    CHECK(r.rejected[4].problems[10].to_string() ==
          f + ":5: documents: missing; expected a list of 1-16 documents, each an object with form, title, number, issued_on and optional expires_on, issued_by (the papers this card stands in for)");
    // One bad case per field of the background check, the documents and the portal reference.
    auto all = [&](std::size_t i) {
        std::vector<std::string> out;
        for (const auto& p : r.rejected[i].problems) out.push_back(p.to_string().substr(f.size()));
        return out;
    };
    CHECK(all(5) == std::vector<std::string>{
                        ":6: background_check.reference: \"NSBC 2025/1!\" is not a check reference; expected 1-32 characters A-Z a-z 0-9 - / .",
                        ":6: background_check.cleared_on: 2025-01-02 is after date_of_issue 2025-01-01; expected a check cleared on or before the date of issue"});
    CHECK(all(6) == std::vector<std::string>{
                        ":7: background_check.cleared_on: 2027-06-01 is in the future; expected the date the check cleared, not after today (2026-11-26)",
                        ":7: background_check.agency: has 0 bytes; expected 1-64 bytes of text"});
    CHECK(all(7) == std::vector<std::string>{
                        ":8: documents: has 0 entries; expected a list of 1-16 documents, each an object with form, title, number, issued_on and optional expires_on, issued_by"});
    CHECK(all(8) == std::vector<std::string>{
                        ":9: documents[0].form: \"X-1\" is not a form number; expected I- or G- followed by 2-4 digits and an optional letter (e.g. I-220A, G-56)",
                        ":9: documents[0].title: has 81 bytes; expected 1-80 bytes of text",
                        ":9: documents[0].number: missing; expected 1-32 bytes of text",
                        ":9: documents[1].issued_on: \"2024-02-30\" is not a date; expected YYYY-MM-DD (a complete date, years 1900-2099)",
                        ":9: documents[2].reason: unknown field; accepted document fields: form, title, number, issued_on, expires_on, issued_by",
                        ":9: documents[2].expires_on: 2024-11-30 is not after issued_on 2024-12-01; expected a date after the date of issue, or no expires_on"});
    CHECK(all(9) == std::vector<std::string>{
                        ":10: portal_reference: has 7 characters, not 8-32 letters and digits; expected 8-32 characters A-Z a-z 0-9 (the value is not shown)"});
}

TEST_CASE("each refusal, with its exact message", "[record]") {
    json rec = valid_record();
    SECTION("expiry before issue") {
        rec["date_of_expiry"] = "2024-12-31";
        CHECK(problems_of(rec) == single("t.jsonl:1: date_of_expiry: 2024-12-31 is not after date_of_issue "
                                         "2025-01-01; expected a date after the date of issue"));
    }
    SECTION("expiry equal to issue") {
        rec["date_of_expiry"] = "2025-01-01";
        CHECK(problems_of(rec).size() == 1);
    }
    SECTION("issue in the future") {
        rec["date_of_issue"] = "2026-11-27";
        CHECK(problems_of(rec) == single("t.jsonl:1: date_of_issue: 2026-11-27 is in the future; expected "
                                         "a date not after today (2026-11-26)"));
        rec["date_of_issue"] = "2026-11-26";
        CHECK(problems_of(rec).empty());
    }
    SECTION("unknown country codes") {
        rec["nationality"] = "ABC";
        rec["issuing_state"] = "DEU";
        const auto p = problems_of(rec);
        REQUIRE(p.size() == 2);
        CHECK(p[0] == "t.jsonl:1: issuing_state: \"DEU\" is not an ICAO country code; expected a 3-letter code "
                      "of Doc 9303 Part 3 (e.g. USA, MEX, D, XXA stateless, XXB refugee, XXX unspecified; "
                      "docs/records.md lists them)");
        CHECK(p[1].rfind("t.jsonl:1: nationality: \"ABC\" is not an ICAO country code;", 0) == 0);
    }
    SECTION("ICAO special codes are accepted") {
        for (const char* code : {"XXA", "XXB", "XXC", "XXX", "UTO", "UTS", "GBD", "UNO", "EUE", "D"}) {
            rec["nationality"] = code;
            CAPTURE(code);
            CHECK(problems_of(rec).empty());
        }
    }
    SECTION("photo too small or too large") {
        LoadOptions o = opts();
        const auto size = std::filesystem::file_size(kSamples / "photos/holder-01.jpg");
        o.min_photo_bytes = size + 1;
        CHECK(problems_of(rec, o) ==
              single(fmt::format("t.jsonl:1: photo: {} has {} bytes; expected {}-30000 bytes",
                                 (kSamples / "photos/holder-01.jpg").string(), size, size + 1)));
        o.min_photo_bytes = 1024;
        o.max_photo_bytes = size - 1;
        CHECK(problems_of(rec, o).size() == 1);
    }
    SECTION("a folder, or a path through a file, named as the photo") {
        rec["photo"] = "photos";
        CHECK(problems_of(rec) ==
              single(fmt::format("t.jsonl:1: photo: {} does not exist or is not a file; expected the path of a "
                                 "JPEG or JPEG 2000 file, relative to the record file",
                                 (kSamples / "photos").string())));
        rec["photo"] = "photos/holder-01.jpg/x.jpg";
        CHECK(problems_of(rec) ==
              single(fmt::format("t.jsonl:1: photo: {} does not exist or is not a file; expected the path of a "
                                 "JPEG or JPEG 2000 file, relative to the record file",
                                 (kSamples / "photos/holder-01.jpg/x.jpg").string())));
    }
    SECTION("bad A-numbers") {
        for (const char* a : {"123456789", "A1234567", "A1234567890", "a123456789", "A12345678X", "A-12345678"}) {
            rec["a_number"] = a;
            CAPTURE(a);
            CHECK(problems_of(rec) ==
                  single(fmt::format("t.jsonl:1: a_number: \"{}\" is not an A-number; expected A followed "
                                     "by 8 or 9 digits, e.g. A123456789", a)));
        }
    }
    SECTION("bad card access numbers; the value is never shown") {
        for (const char* can : {"12345", "1234567", "12345a", ""}) {
            rec["card_access_number"] = can;
            const auto p = problems_of(rec);
            CHECK(p == single("t.jsonl:1: card_access_number: is not 6 digits; expected exactly 6 digits "
                              "0-9 (the value is not shown)"));
        }
        rec["card_access_number"] = 654321;
        const auto p = problems_of(rec);
        REQUIRE(p.size() == 1);
        CHECK(p[0].find("654321") == std::string::npos);
    }
    SECTION("card access number is optional") {
        rec.erase("card_access_number");
        const auto r = load_jsonl(rec.dump());
        REQUIRE(r.ok());
        CHECK_FALSE(r.records[0].card_access_number.has_value());
    }
    SECTION("unknown fields say which are accepted") {
        rec["middle_name"] = "X";
        CHECK(problems_of(rec) ==
              single("t.jsonl:1: middle_name: unknown field; accepted fields: document_number, "
                     "document_code, issuing_state, surname, given_names, sex, date_of_birth, nationality, "
                     "place_of_birth, date_of_issue, date_of_expiry, photo, a_number, card_access_number, docket, "
                     "background_check, documents, portal_reference"));
    }
    SECTION("wrong types") {
        rec["document_number"] = 12345;
        rec["docket"]["check_in_interval_days"] = 7.5;
        rec["docket"]["conditions"] = "none";
        const auto p = problems_of(rec);
        REQUIRE(p.size() == 3);
        CHECK(p[0] == "t.jsonl:1: document_number: is a number, not a string; expected 1-9 characters A-Z 0-9");
        CHECK(p[1] == "t.jsonl:1: docket.check_in_interval_days: is a number with a fraction, not a whole "
                      "number; expected a whole number of days 1-365");
        CHECK(p[2] == "t.jsonl:1: docket.conditions: is a string, not a list; expected a list of at most 20 "
                      "texts of 1-200 bytes each");
    }
    SECTION("a record that is not an object") {
        CHECK(load_jsonl("[1,2]\n").rejected.at(0).problems.at(0).to_string() ==
              "t.jsonl:1: the record is a list, not an object; write one JSON object per record");
    }
    SECTION("document code") {
        rec["document_code"] = "I";
        CHECK(problems_of(rec).empty());
        rec["document_code"] = "AC";
        CHECK(problems_of(rec).empty());
        rec["document_code"] = "P";
        CHECK(problems_of(rec) == single("t.jsonl:1: document_code: \"P\" is not a document code; expected "
                                         "1-2 letters A-Z, the first A, C or I (e.g. ID)"));
        rec["document_code"] = "I1";
        CHECK(problems_of(rec).size() == 1);
    }
    SECTION("document number") {
        for (const char* n : {"", "1234567890", "dc1", "DC 1"}) {
            rec["document_number"] = n;
            CAPTURE(n);
            CHECK(problems_of(rec).size() == 1);
        }
    }
    SECTION("dates") {
        for (const char* d : {"1980-XX-XX", "1980-05-XX", "2024-02-29"}) {
            rec["date_of_birth"] = d;
            CAPTURE(d);
            CHECK(problems_of(rec).empty());
        }
        for (const char* d : {"1980-XX-05", "2023-02-29", "1980-5-1", "1899-01-01", "19800101", "1980-00-01"}) {
            rec["date_of_birth"] = d;
            CAPTURE(d);
            CHECK(problems_of(rec).size() == 1);
        }
        rec["date_of_birth"] = "2027-01-01";
        CHECK(problems_of(rec) == single("t.jsonl:1: date_of_birth: 2027-01-01 is in the future; expected "
                                         "a date not after today (2026-11-26)"));
        rec["date_of_birth"] = "1980-01-01";
        rec["date_of_issue"] = "2025-XX-XX";
        CHECK(problems_of(rec) == single("t.jsonl:1: date_of_issue: \"2025-XX-XX\" is not a date; expected "
                                         "YYYY-MM-DD (a complete date, years 1900-2099)"));
    }
    SECTION("next hearing needs an offset") {
        for (const char* t : {"2027-01-01T08:00Z", "2027-01-01T08:00:59+05:30", "2027-01-01T23:59:00-12:00"}) {
            rec["docket"]["next_hearing"] = t;
            CAPTURE(t);
            CHECK(problems_of(rec).empty());
        }
        for (const char* t : {"2027-01-01T08:00:00", "2027-01-01", "2027-01-01T24:00:00Z",
                              "2027-01-01T08:60:00Z", "2027-01-01T08:00:00+0500", "2027-02-30T08:00:00Z",
                              "2027-01-01 08:00:00Z"}) {
            rec["docket"]["next_hearing"] = t;
            CAPTURE(t);
            CHECK(problems_of(rec).size() == 1);
        }
    }
    SECTION("release types") {
        for (auto t : all_release_types()) {
            rec["docket"]["release_type"] = to_string(t);
            CHECK(load_jsonl(rec.dump()).records.at(0).docket.release_type == t);
        }
        CHECK(parse_release_type("Parole") == std::nullopt);
    }
    SECTION("given names may be absent; a name without letters is refused") {
        rec.erase("given_names");
        CHECK(problems_of(rec).empty());
        rec["surname"] = "...";
        CHECK(problems_of(rec) == single("t.jsonl:1: surname: \"...\" has no letters; expected a name in Latin letters"));
    }
    SECTION("conditions are bounded") {
        rec["docket"]["conditions"] = std::vector<std::string>(21, "x");
        CHECK(problems_of(rec) == single("t.jsonl:1: docket.conditions: has 21 entries; expected a list of "
                                         "at most 20 texts of 1-200 bytes each"));
    }
}

TEST_CASE("background check, documents and portal reference: each refusal, exactly", "[record]") {
    json rec = valid_record();
    SECTION("the valid record carries them") {
        const auto r = load_jsonl(rec.dump());
        REQUIRE(r.ok());
        const auto& h = r.records.at(0);
        CHECK(h.background_check == BackgroundCheck{"NSBC-2025-000001", Date{2024, 12, 20}, "National Vetting Center"});
        REQUIRE(h.documents.size() == 1);
        CHECK(h.documents[0] == ReleaseDocument{"I-220A", "Order of Release on Recognizance", "LOS001-01",
                                                Date{2024, 12, 29}, {}, std::string("ICE ERO LOS")});
        CHECK_FALSE(h.portal_reference);
    }
    SECTION("background_check missing, or not an object") {
        rec.erase("background_check");
        CHECK(problems_of(rec) == single("t.jsonl:1: background_check: missing; expected an object with the "
                                         "fields reference, cleared_on, agency (the national-security check the "
                                         "card is issued on)"));
        rec["background_check"] = "NSBC-1";
        CHECK(problems_of(rec) == single("t.jsonl:1: background_check: is a string, not an object; expected an "
                                         "object with the fields reference, cleared_on, agency (the "
                                         "national-security check the card is issued on)"));
    }
    SECTION("background_check fields") {
        rec["background_check"] = {{"reference", ""}, {"cleared_on", "2025-01-02"}, {"agency", ""}, {"notes", "x"}};
        CHECK(problems_of(rec) ==
              std::vector<std::string>{
                  "t.jsonl:1: background_check.notes: unknown field; accepted background_check fields: reference, "
                  "cleared_on, agency",
                  "t.jsonl:1: background_check.reference: \"\" is not a check reference; expected 1-32 characters "
                  "A-Z a-z 0-9 - / .",
                  "t.jsonl:1: background_check.cleared_on: 2025-01-02 is after date_of_issue 2025-01-01; expected a "
                  "check cleared on or before the date of issue",
                  "t.jsonl:1: background_check.agency: has 0 bytes; expected 1-64 bytes of text"});
        rec["background_check"] = {{"reference", "NSBC 1!"}, {"cleared_on", "2026-11-27"}, {"agency", "NVC"}};
        CHECK(problems_of(rec) ==
              std::vector<std::string>{
                  "t.jsonl:1: background_check.reference: \"NSBC 1!\" is not a check reference; expected 1-32 "
                  "characters A-Z a-z 0-9 - / .",
                  "t.jsonl:1: background_check.cleared_on: 2026-11-27 is in the future; expected the date the check "
                  "cleared, not after today (2026-11-26)"});
        rec["background_check"]["reference"] = "NSBC/2025-000.1";
        rec["background_check"]["cleared_on"] = "2025-01-01";
        CHECK(problems_of(rec).empty());
    }
    SECTION("documents: missing, empty, too many, not a list") {
        rec.erase("documents");
        CHECK(problems_of(rec) == single("t.jsonl:1: documents: missing; expected a list of 1-16 documents, each an "
                                         "object with form, title, number, issued_on and optional expires_on, "
                                         "issued_by (the papers this card stands in for)"));
        rec["documents"] = json::array();
        CHECK(problems_of(rec) == single("t.jsonl:1: documents: has 0 entries; expected a list of 1-16 documents, "
                                         "each an object with form, title, number, issued_on and optional "
                                         "expires_on, issued_by"));
        json seventeen = json::array();
        for (int i = 0; i < 17; ++i) seventeen.push_back(valid_record()["documents"][0]);
        rec["documents"] = seventeen;
        CHECK(problems_of(rec).at(0).rfind("t.jsonl:1: documents: has 17 entries; expected a list of 1-16", 0) == 0);
        seventeen.erase(16);
        rec["documents"] = seventeen;
        CHECK(problems_of(rec).empty());
        rec["documents"] = json::object();
        CHECK(problems_of(rec).at(0).rfind("t.jsonl:1: documents: is an object, not a list;", 0) == 0);
    }
    SECTION("each document field") {
        rec["documents"] = json::array({json{{"form", "X-1"}, {"title", std::string(81, 'T')}, {"number", "N"},
                                             {"issued_on", "2024-02-30"}, {"reason", 1}},
                                        json{{"form", "I-220AB"}, {"title", "Order"}, {"number", std::string(33, '9')},
                                             {"issued_on", "2026-11-27"}, {"expires_on", "2026-11-27"},
                                             {"issued_by", std::string(65, 'E')}},
                                        json{{"form", "G-56"}, {"title", "Call-In Letter"}, {"number", "N2"},
                                             {"issued_on", "2024-12-01"}, {"expires_on", "2024-11-30"}},
                                        5});
        CHECK(problems_of(rec) ==
              std::vector<std::string>{
                  "t.jsonl:1: documents[0].reason: unknown field; accepted document fields: form, title, number, "
                  "issued_on, expires_on, issued_by",
                  "t.jsonl:1: documents[0].form: \"X-1\" is not a form number; expected I- or G- followed by 2-4 "
                  "digits and an optional letter (e.g. I-220A, G-56)",
                  "t.jsonl:1: documents[0].title: has 81 bytes; expected 1-80 bytes of text",
                  "t.jsonl:1: documents[0].issued_on: \"2024-02-30\" is not a date; expected YYYY-MM-DD (a complete "
                  "date, years 1900-2099)",
                  "t.jsonl:1: documents[1].form: \"I-220AB\" is not a form number; expected I- or G- followed by "
                  "2-4 digits and an optional letter (e.g. I-220A, G-56)",
                  "t.jsonl:1: documents[1].number: has 33 bytes; expected 1-32 bytes of text",
                  "t.jsonl:1: documents[1].issued_on: 2026-11-27 is in the future; expected a date not after today "
                  "(2026-11-26)",
                  "t.jsonl:1: documents[1].expires_on: 2026-11-27 is not after issued_on 2026-11-27; expected a date "
                  "after the date of issue, or no expires_on",
                  "t.jsonl:1: documents[1].issued_by: has 65 bytes; expected 1-64 bytes of text",
                  "t.jsonl:1: documents[2].expires_on: 2024-11-30 is not after issued_on 2024-12-01; expected a date "
                  "after the date of issue, or no expires_on",
                  "t.jsonl:1: documents[3]: is a number, not an object; expected an object with form, title, "
                  "number, issued_on and optional expires_on, issued_by"});
    }
    SECTION("form numbers") {
        for (const char* good : {"I-94", "I-220A", "G-56", "I-1234", "G-12Z"}) {
            rec["documents"][0]["form"] = good;
            CHECK(problems_of(rec).empty());
        }
        for (const char* bad : {"I-9", "I-12345", "i-220A", "I220A", "N-400", "I-220a", "I-"}) {
            rec["documents"][0]["form"] = bad;
            CHECK(problems_of(rec).size() == 1);
        }
    }
    SECTION("portal_reference: a credential, never repeated in a message") {
        rec["portal_reference"] = "Secret12";
        auto r = load_jsonl(rec.dump());
        REQUIRE(r.ok());
        CHECK(*r.records.at(0).portal_reference == SecureBytes{'S', 'e', 'c', 'r', 'e', 't', '1', '2'});
        rec["portal_reference"] = "Secret1";
        CHECK(problems_of(rec) == single("t.jsonl:1: portal_reference: has 7 characters, not 8-32 letters and "
                                         "digits; expected 8-32 characters A-Z a-z 0-9 (the value is not shown)"));
        rec["portal_reference"] = "Secret12-45";
        CHECK(problems_of(rec).at(0).find("Secret") == std::string::npos);
        rec["portal_reference"] = 12345678;
        CHECK(problems_of(rec) == single("t.jsonl:1: portal_reference: is a number, not a string; expected 8-32 "
                                         "letters and digits (the value is not shown)"));
        rec["portal_reference"] = std::string(33, 'a');
        CHECK(problems_of(rec).size() == 1);
        rec["portal_reference"] = "";
        CHECK(problems_of(rec).empty());
    }
}

TEST_CASE("a duplicate document number rejects the later record", "[record]") {
    const std::string line = valid_record().dump();
    const auto r = load_jsonl(line + "\n\n" + line + "\n");
    REQUIRE(r.records.size() == 1);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].problems.at(0).to_string() ==
          "t.jsonl:3: document_number: \"DC2600001\" is also the document number of the record on line 1; "
          "expected a different number for each card");
}

TEST_CASE("a single JSON object: line of its opening brace", "[record]") {
    json rec = valid_record();
    rec["sex"] = "x";
    const auto r = parse_records("\n\n" + rec.dump(2), RecordFormat::Json, "h.json", kSamples, opts());
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].problems.at(0).to_string() == "h.json:3: sex: \"x\" is not a sex marker; expected F, M or X");
    const auto bad = parse_records("{\n\"a\": 1,\n}", RecordFormat::Json, "h.json", kSamples, opts());
    REQUIRE(bad.rejected.size() == 1);
    CHECK(bad.rejected[0].problems.at(0).line == 3);
}

TEST_CASE("load_records refuses unknown file types and missing files", "[record]") {
    CHECK_THROWS_WITH(load_records("holders.txt"),
                      "holders.txt: unknown record file type \".txt\"; expected .json, .jsonl or .csv");
    CHECK_THROWS_WITH(load_records("/nonexistent/h.jsonl"), "/nonexistent/h.jsonl: cannot open the record file");
    try {
        load_records("/nonexistent/h.csv");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
    }
}

TEST_CASE("read_records hands on each record in file order; a broken CSV file hands on none", "[record]") {
    std::vector<std::string> seen;
    const RecordVisitor visit{[&](HolderRecord&& r) { seen.push_back("valid " + std::to_string(r.source_line)); },
                              [&](Rejected&& r) { seen.push_back("rejected " + std::to_string(r.line)); }};
    read_records(kSamples / "invalid.jsonl", opts(), visit);
    const auto all = load_records(kSamples / "invalid.jsonl", opts());
    REQUIRE(seen.size() == all.records.size() + all.rejected.size());
    REQUIRE_FALSE(all.rejected.empty());
    CHECK(seen.front() == "rejected " + std::to_string(all.rejected.front().line));

    seen.clear();
    read_records(kSamples / "holders.csv", opts(), visit);
    CHECK(seen.size() == load_records(kSamples / "holders.csv", opts()).records.size());
    CHECK(seen.front() == "valid 2");

    // The same rows with a quote never closed in the last one: the file is refused before any
    // record is handed on.
    const auto dir = std::filesystem::temp_directory_path() / "docketcard-read-records-test";
    std::filesystem::create_directories(dir);
    std::ifstream in(kSamples / "holders.csv", std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    std::ofstream(dir / "broken.csv", std::ios::binary) << text << "\"DC9";
    seen.clear();
    CHECK_THROWS_WITH(read_records(dir / "broken.csv", opts(), visit),
                      (dir / "broken.csv").string() + ": CSV line " + std::to_string(lines + 1) +
                          ": the quoted field opened here is never closed; close it with \"");
    CHECK(seen.empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("read_record_at reads again exactly the record read_records handed on", "[record]") {
    for (const char* name : {"holders.jsonl", "holders.csv", "holder.json"}) {
        INFO(name);
        std::vector<HolderRecord> all;
        read_records(kSamples / name, opts(), {[&](HolderRecord&& r) { all.push_back(std::move(r)); }, [](Rejected&&) {}});
        REQUIRE_FALSE(all.empty());
        for (const auto& r : all) {
            const auto again = read_record_at(kSamples / name, r.source_offset, r.source_line, opts());
            CHECK(again.document_number == r.document_number);
            CHECK(again.photo == r.photo);
            CHECK(again.documents == r.documents);
            CHECK(again.source_offset == r.source_offset);
        }
    }
    // A file changed under the batch: the offset no longer starts that record.
    const auto dir = std::filesystem::temp_directory_path() / "docketcard-read-at-test";
    std::filesystem::create_directories(dir);
    std::ifstream in(kSamples / "holders.jsonl", std::ios::binary);
    std::string text;
    for (std::string line; std::getline(in, line);) {
        auto doc = json::parse(line);
        doc["photo"] = (kSamples / doc["photo"].get<std::string>()).string();
        text += doc.dump() + "\n";
    }
    std::ofstream(dir / "h.jsonl", std::ios::binary) << text;
    std::vector<HolderRecord> all;
    read_records(dir / "h.jsonl", opts(), {[&](HolderRecord&& r) { all.push_back(std::move(r)); }, [](Rejected&&) {}});
    REQUIRE(all.size() >= 2);
    std::ofstream(dir / "h.jsonl", std::ios::binary) << "\n" << text;   // every record one byte later
    const auto& second = all[1];
    CHECK_THROWS_WITH(read_record_at(dir / "h.jsonl", second.source_offset, second.source_line, opts()),
                      Catch::Matchers::StartsWith((dir / "h.jsonl").string() + ":" + std::to_string(second.source_line) +
                                                  ": the record is no longer there as it was read ("));
    std::filesystem::remove_all(dir);
}

TEST_CASE("JPEG 2000 codestream photos are accepted; other bytes are not", "[record]") {
    const auto dir = std::filesystem::temp_directory_path() / "docketcard-record-test";
    std::filesystem::create_directories(dir);
    Bytes j2k(2000, 0x00);
    j2k[0] = 0xFF; j2k[1] = 0x4F; j2k[2] = 0xFF; j2k[3] = 0x51;
    Bytes gif(2000, 0x00);
    gif[0] = 'G'; gif[1] = 'I'; gif[2] = 'F';
    for (auto& [name, bytes] : std::vector<std::pair<std::string, Bytes>>{{"p.j2k", j2k}, {"p.gif", gif}}) {
        std::ofstream(dir / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    json rec = valid_record();
    rec["photo"] = "p.j2k";
    auto r = parse_records(rec.dump(), RecordFormat::JsonLines, "t.jsonl", dir, opts());
    REQUIRE(r.ok());
    CHECK(r.records[0].photo == j2k);
    rec["photo"] = "p.gif";
    r = parse_records(rec.dump(), RecordFormat::JsonLines, "t.jsonl", dir, opts());
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].problems.at(0).message.find("is neither JPEG nor JPEG 2000") != std::string::npos);
    rec["photo"] = (dir / "p.j2k").string();  // absolute paths are used as they are
    CHECK(parse_records(rec.dump(), RecordFormat::JsonLines, "t.jsonl", kSamples, opts()).ok());
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// CSV

TEST_CASE("csv::parse follows RFC 4180", "[record][csv]") {
    using Fields = std::vector<std::string>;
    SECTION("quoted fields, embedded commas, doubled quotes, embedded line breaks") {
        const auto rows = csv::parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\nlast,,\r\n");
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].fields == Fields{"a", "b", "c"});
        CHECK(rows[1].fields == Fields{"x, y", "say \"hi\"", "two\r\nlines"});
        CHECK(rows[1].line == 2);
        CHECK(rows[2].fields == Fields{"last", "", ""});
        CHECK(rows[2].line == 4);  // the record after a two-line record
    }
    SECTION("LF line ends, no final line end, empty lines skipped, BOM ignored") {
        const auto rows = csv::parse("\xEF\xBB\xBFh1,h2\n\n1,\"\"\n\n2,3");
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].fields == Fields{"h1", "h2"});
        CHECK(rows[1].fields == Fields{"1", ""});
        CHECK(rows[1].line == 3);
        CHECK(rows[2].fields == Fields{"2", "3"});
        CHECK(rows[2].line == 5);
    }
    SECTION("a lone quoted empty field and a trailing comma") {
        CHECK(csv::parse("\"\"").at(0).fields == Fields{""});
        CHECK(csv::parse("a,").at(0).fields == Fields{"a", ""});
        CHECK(csv::parse(",\n").at(0).fields == Fields{"", ""});
        CHECK(csv::parse("").empty());
    }
    SECTION("errors name the line") {
        CHECK_THROWS_WITH(csv::parse("a\n\"open\nnever closed"),
                          "line 2: the quoted field opened here is never closed; close it with \"");
        CHECK_THROWS_WITH(csv::parse("\"a\"b,c"),
                          "line 1: text after the closing quote of a field; put the whole field in quotes and "
                          "double any quote inside it");
        CHECK_THROWS_WITH(csv::parse("x\nab\"c"),
                          "line 2: a quote inside an unquoted field; put the whole field in quotes and double "
                          "the quote (\"\")");
        CHECK_THROWS_AS(csv::parse("\""), ParseError);
    }
}

TEST_CASE("CSV records: columns, docket.* fields, conditions separated by |", "[record][csv]") {
    const std::string header =
        "document_number,surname,given_names,sex,date_of_birth,nationality,date_of_issue,date_of_expiry,photo,"
        "a_number,background_check.reference,background_check.cleared_on,background_check.agency,"
        "documents.1.form,documents.1.title,documents.1.number,documents.1.issued_on,"
        "docket.court,docket.case_number,docket.next_hearing,docket.release_type,"
        "docket.reporting_office,docket.check_in_interval_days,docket.conditions\r\n";
    const std::string row =
        "DC1,\"O'Neil, Jr.\",Ann Marie,F,1980-XX-XX,XXA,2025-01-01,2029-01-01,photos/holder-01.jpg,"
        "A12345678,NSBC-1,2024-12-01,NVC,I-220A,Order of Release,R-1,2024-12-02,"
        "NYC,NYC-1,2027-01-01T08:00:00-05:00,bond,\"ERO \"\"NYC\"\"\",30,\"Report, weekly\r\nin person|Stay\"\r\n";
    SECTION("a valid row") {
        const auto r = parse_records(header + row, RecordFormat::Csv, "t.csv", kSamples, opts());
        INFO((r.rejected.empty() ? "" : r.rejected[0].problems.at(0).to_string()));
        REQUIRE(r.ok());
        const auto& h = r.records.at(0);
        CHECK(h.surname == "O'Neil, Jr.");
        CHECK(h.given_names == "Ann Marie");
        CHECK(h.a_number == "012345678");
        CHECK(h.docket.reporting_office == "ERO \"NYC\"");
        CHECK(h.docket.check_in_interval_days == 30);
        CHECK(h.docket.conditions == std::vector<std::string>{"Report, weekly\r\nin person", "Stay"});
        CHECK(h.source_line == 2);
        CHECK(h.background_check == BackgroundCheck{"NSBC-1", Date{2024, 12, 1}, "NVC"});
        REQUIRE(h.documents.size() == 1);
        CHECK(h.documents[0] == ReleaseDocument{"I-220A", "Order of Release", "R-1", Date{2024, 12, 2}, {}, {}});
    }
    SECTION("documents.N columns: a gap is a missing document, N beyond 16 an unknown column") {
        std::string h2 = header;
        h2.replace(h2.find("docket.court"), 0, "documents.3.form,documents.17.form,");
        std::string r2 = row;
        r2.replace(r2.find("NYC,NYC-1"), 0, "G-56,I-94,");
        const auto r = parse_records(h2 + r2, RecordFormat::Csv, "t.csv", kSamples, opts());
        REQUIRE(r.rejected.size() == 1);
        std::vector<std::string> got;
        for (const auto& p : r.rejected[0].problems) got.push_back(p.to_string());
        CHECK(got == std::vector<std::string>{
                         "t.csv:2: documents.17.form: unknown column; expected documents.N.form, documents.N.title, "
                         "... with N from 1 to 16",
                         "t.csv:2: documents.2.form: missing; expected I- or G- followed by 2-4 digits and an "
                         "optional letter (e.g. I-220A, G-56)",
                         "t.csv:2: documents.2.title: missing; expected 1-80 bytes of text",
                         "t.csv:2: documents.2.number: missing; expected 1-32 bytes of text",
                         "t.csv:2: documents.2.issued_on: missing; expected YYYY-MM-DD",
                         "t.csv:2: documents.3.title: missing; expected 1-80 bytes of text",
                         "t.csv:2: documents.3.number: missing; expected 1-32 bytes of text",
                         "t.csv:2: documents.3.issued_on: missing; expected YYYY-MM-DD"});
    }
    SECTION("the line of a record is its first physical line") {
        std::string second = row;
        second.replace(0, 3, "DC2");
        second.replace(second.find("30,"), 3, "x,");
        const auto r = parse_records(header + row + second, RecordFormat::Csv, "t.csv", kSamples, opts());
        REQUIRE(r.rejected.size() == 1);
        CHECK(r.rejected[0].problems.at(0).to_string() ==
              "t.csv:4: docket.check_in_interval_days: \"x\" is not a whole number; expected a whole number of days 1-365");
    }
    SECTION("wrong field count, unknown column, empty condition") {
        const auto r = parse_records(
            "document_number,colour\r\nDC1,red,extra\r\n", RecordFormat::Csv, "t.csv", kSamples, opts());
        REQUIRE(r.rejected.size() == 1);
        const auto& p = r.rejected[0].problems;
        CHECK(p.at(0).to_string() ==
              "t.csv:2: has 3 fields, the header has 2; expected one value per column (quote values with commas)");
        CHECK(p.at(1).to_string().rfind("t.csv:2: colour: unknown field; accepted fields: document_number,", 0) == 0);
        std::string r2 = row;
        r2.replace(r2.find("person|Stay"), 11, "person||Stay");
        const auto e = parse_records(header + r2, RecordFormat::Csv, "t.csv", kSamples, opts());
        REQUIRE(e.rejected.size() == 1);
        CHECK(e.rejected[0].problems.at(0).to_string() ==
              "t.csv:2: docket.conditions[1]: has 0 bytes; expected a list of at most 20 texts of 1-200 bytes each");
    }
    SECTION("invalid UTF-8 in a cell") {
        std::string bad = row;
        bad.replace(bad.find("Ann"), 3, "A\xFF" "n");
        const auto r = parse_records(header + bad, RecordFormat::Csv, "t.csv", kSamples, opts());
        REQUIRE(r.rejected.size() == 1);
        CHECK(r.rejected[0].problems.at(0).to_string() == "t.csv:2: given_names: is not valid UTF-8; expected UTF-8 text");
    }
    SECTION("a broken file or header is refused as a whole") {
        CHECK_THROWS_WITH(parse_records(header + "\"DC1,", RecordFormat::Csv, "t.csv", kSamples, opts()),
                          "t.csv: CSV line 2: the quoted field opened here is never closed; close it with \"");
        CHECK_THROWS_WITH(parse_records("a,b,a\r\n", RecordFormat::Csv, "t.csv", kSamples, opts()),
                          "t.csv:1: CSV header names the column \"a\" twice; expected each field once");
        CHECK_THROWS_AS(parse_records("a,,b\r\n", RecordFormat::Csv, "t.csv", kSamples, opts()), Error);
    }
}

TEST_CASE("an optional JSON field given as the empty string is the same as an absent one", "[record]") {
    const json absent = valid_record();
    json empty = valid_record();
    for (const char* key : {"place_of_birth", "issuing_state", "document_code", "given_names"}) empty[key] = "";
    const auto a = load_jsonl(absent.dump());
    const auto e = load_jsonl(empty.dump());
    REQUIRE(a.ok());
    REQUIRE(e.ok());
    const auto& ha = a.records.at(0);
    const auto& he = e.records.at(0);
    CHECK(he.place_of_birth == std::nullopt);
    CHECK(he.place_of_birth == ha.place_of_birth);
    CHECK(he.issuing_state == "USA");
    CHECK(he.issuing_state == ha.issuing_state);
    CHECK(he.document_code == ha.document_code);
    CHECK(he.given_names.empty());

    json mandatory = valid_record();
    mandatory["surname"] = "";
    CHECK(problems_of(mandatory) == single("t.jsonl:1: surname: \"\" has no letters; expected a name in Latin letters"));
}
