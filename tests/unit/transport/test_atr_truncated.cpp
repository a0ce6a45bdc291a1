// Regression (found by tests/fuzz/fuzz_atr.cpp): an ATR whose last interface bytes are missing and
// that has no historical bytes was accepted; ISO/IEC 7816-3 8.2.2 makes T0/TDi announce them.
#include <catch2/catch.hpp>

#include "docketcard/transport/link.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using transport::parse_atr;

TEST_CASE("parse_atr refuses an ATR whose announced interface bytes are missing", "[transport][atr]") {
    CHECK_THROWS_AS(parse_atr(from_hex("3B10")), ParseError);      // TA1 announced, absent
    CHECK_THROWS_AS(parse_atr(from_hex("3B70")), ParseError);      // TA1 TB1 TC1 announced, absent
    CHECK_THROWS_AS(parse_atr(from_hex("3B700102")), ParseError);  // TC1 absent
    CHECK_THROWS_AS(parse_atr(from_hex("3B8010")), ParseError);    // TD1 names TA2, absent
    CHECK_THROWS_WITH(parse_atr(from_hex("3B10")), "ATR 3B10 is truncated (byte 3 missing)");
}

TEST_CASE("parse_atr still accepts complete ATRs without historical bytes", "[transport][atr]") {
    CHECK(parse_atr(from_hex("3B00")).historical.empty());
    const transport::AtrInfo a = parse_atr(from_hex("3B7011223300"));  // trailing byte ignored
    CHECK(a.historical.empty());
    CHECK(a.t0);
    const transport::AtrInfo b = parse_atr(from_hex("3B801011"));  // TD1 -> T=0, TA2
    CHECK(b.t0);
    CHECK_FALSE(b.t1);
}
