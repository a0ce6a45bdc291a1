// parse_json_fast (simdjson) against nlohmann::json::parse, the reference: the same document, or
// a refusal where nlohmann would read the text another way or refuse it.
#include <catch2/catch.hpp>

#include <string>

#include "internal.hpp"

using docketcard::record::detail::parse_json_fast;
using nlohmann::json;

namespace {

// The fast reader's document equals nlohmann's, value and type, member by member.
void same_as_nlohmann(const std::string& text) {
    INFO(text);
    const auto fast = parse_json_fast(text);
    REQUIRE(fast.has_value());
    const json reference = json::parse(text);
    CHECK(*fast == reference);
    CHECK(fast->dump() == reference.dump());
}

}  // namespace

TEST_CASE("parse_json_fast reads a record as nlohmann does", "[fast-json]") {
    same_as_nlohmann(R"({"document_number": "BN0000001", "surname": "N\u00fa\u00f1ez", "docket": {"court": "LOS",)"
                     R"( "check_in_interval_days": 7, "conditions": ["Report in person", "No travel"]}, "ok": true,)"
                     R"( "none": null, "fraction": 2.5, "big": 18446744073709551615, "neg": -9223372036854775808})");
    same_as_nlohmann(R"([1, -1, 0, 1E2, 1.0e-3, "", "\u0000x", "\"\\\/\b\f\n\r\t", {}, []])");
    same_as_nlohmann("\"\xF0\x9F\x98\x80 \xE2\x82\xAC\"");   // UTF-8 beyond the BMP and the Basic Latin
}

TEST_CASE("parse_json_fast keeps the last of repeated keys, as nlohmann does", "[fast-json]") {
    const auto fast = parse_json_fast(R"({"a": 1, "b": 2, "a": "three"})");
    REQUIRE(fast.has_value());
    CHECK(fast->size() == 2);
    CHECK(fast->at("a") == "three");
    CHECK(*fast == json::parse(R"({"a": 1, "b": 2, "a": "three"})"));
}

TEST_CASE("parse_json_fast reads integers with nlohmann's types", "[fast-json]") {
    CHECK(parse_json_fast("7")->is_number_unsigned());
    CHECK(parse_json_fast("-7")->is_number_integer());
    CHECK_FALSE(parse_json_fast("-7")->is_number_unsigned());
    CHECK(parse_json_fast("9223372036854775808")->get<std::uint64_t>() == 9223372036854775808u);
    CHECK(parse_json_fast("7.0")->is_number_float());
    // "-0": the value nlohmann reads (a signed 0), as an unsigned 0; equal, same type name.
    CHECK(*parse_json_fast("-0") == json::parse("-0"));
    CHECK(parse_json_fast("-0")->get<std::int64_t>() == 0);
}

TEST_CASE("parse_json_fast declines what nlohmann reads another way or refuses", "[fast-json]") {
    // Integers beyond 64 bits: nlohmann reads a float; simdjson refuses.
    CHECK_FALSE(parse_json_fast("18446744073709551616").has_value());
    CHECK_FALSE(parse_json_fast("-9223372036854775809").has_value());
    CHECK(json::parse("18446744073709551616").is_number_float());
    // A UTF-8 byte order mark: nlohmann skips it.
    CHECK_FALSE(parse_json_fast("\xEF\xBB\xBF{}").has_value());
    CHECK(json::parse("\xEF\xBB\xBF{}") == json::object());
    // Syntax errors: nlohmann's message is the one reported (tests/cli/errors_test.sh).
    for (const std::string bad : {"{", "{} {}", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"a\x01\"", "\"\xC3\"", "nul", ""}) {
        INFO(bad);
        CHECK_FALSE(parse_json_fast(bad).has_value());
        CHECK_THROWS_AS(json::parse(bad), json::parse_error);
    }
}

TEST_CASE("a number beyond a double is a syntax error of its line, not a crash", "[fast-json]") {
    // simdjson declines 1e400; nlohmann throws out_of_range.406 (not a parse_error) for it.
    docketcard::record::LoadOptions options;
    const auto result = docketcard::record::parse_records("{\"document_number\": 1e400}\n",
                                                          docketcard::record::RecordFormat::JsonLines, "n.jsonl", ".",
                                                          options);
    REQUIRE(result.rejected.size() == 1);
    REQUIRE(result.rejected[0].problems.size() == 1);
    CHECK(result.rejected[0].problems[0].to_string() ==
          "n.jsonl:1: not valid JSON (number overflow parsing '1e400'); expected one JSON object");
}
