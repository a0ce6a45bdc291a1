#include <catch2/catch.hpp>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using apdu::CommandApdu;

TEST_CASE("TLV lengths use the shortest form", "[tlv]") {
    CHECK(to_hex(tlv::encode_length(0)) == "00");
    CHECK(to_hex(tlv::encode_length(0x7F)) == "7F");
    CHECK(to_hex(tlv::encode_length(0x80)) == "8180");
    CHECK(to_hex(tlv::encode_length(0xFF)) == "81FF");
    CHECK(to_hex(tlv::encode_length(0x100)) == "820100");
    CHECK(to_hex(tlv::encode_length(0x12345)) == "83012345");
}

TEST_CASE("TLV encodes multi-byte tags", "[tlv]") {
    CHECK(to_hex(tlv::encode(0x5F1F, from_hex("41"))) == "5F1F0141");
    CHECK(to_hex(tlv::encode(0x7F61, {tlv::encode(0x02, from_hex("01"))})) == "7F6103020101");
}

TEST_CASE("TLV parses EF.COM of Doc 9303 Part 11 D.4", "[tlv]") {
    const Bytes com = from_hex("60145F0104303130365F36063034303030305C026175");
    const auto top = tlv::parse_single(com, "EF.COM");
    CHECK(top.tag == 0x60);
    CHECK(top.constructed());
    tlv::Reader r(top.value);
    CHECK(to_hex(r.expect(0x5F01).value) == "30313036");
    CHECK(to_hex(r.expect(0x5F36).value) == "303430303030");
    CHECK(to_hex(r.expect(0x5C).value) == "6175");
    r.expect_end();
}

TEST_CASE("TLV long-form lengths round trip", "[tlv]") {
    const Bytes value(300, 0xAB);
    const Bytes enc = tlv::encode(0x75, value);
    CHECK(to_hex(ByteView(enc).first(4)) == "7582012C");
    const auto obj = tlv::parse_single(enc);
    CHECK(obj.value.size() == 300);
    CHECK(obj.raw.size() == enc.size());
}

TEST_CASE("TLV refuses bad input with a clear error", "[tlv]") {
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("6105AABB")), Catch::Contains("declares 5 value bytes"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("5F")), Catch::Contains("truncated tag"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("61")), Catch::Contains("truncated length"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("6182")), Catch::Contains("truncated length"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("6185000000000000")), Catch::Contains("invalid length byte"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("610100FF")), Catch::Contains("unexpected byte"));
    CHECK_THROWS_WITH(tlv::parse_single(from_hex("5FFFFFFF7F00")), Catch::Contains("longer than 4 bytes"));
    const Bytes one = from_hex("6100");
    tlv::Reader r(one);
    CHECK_THROWS_WITH(r.expect(0x62), Catch::Contains("expected tag 62"));
}

TEST_CASE("command APDU encodings of ISO 7816-4 5.1", "[apdu]") {
    CHECK(to_hex(CommandApdu::select_ef(0x011E).encode()) == "00A4020C02011E");
    CHECK(to_hex(CommandApdu::read_binary(4, 0x12).encode()) == "00B0000412");
    CHECK(to_hex(CommandApdu::read_binary(0, 256).encode()) == "00B0000000");
    CHECK(to_hex(CommandApdu::read_binary(0, 1000).encode()) == "00B000000003E8");
    CHECK(to_hex(CommandApdu::get_challenge(8).encode()) == "0084000008");
    CommandApdu big(0x00, 0xD6, 0x00, 0x00, Bytes(300, 0x11));
    const Bytes ext = big.encode();
    CHECK(to_hex(ByteView(ext).first(7)) == "00D6000000012C");
    CHECK(ext.size() == 7 + 300);
    CommandApdu case4e(0x00, 0xB1, 0x00, 0x00, from_hex("5402FFFF"), 65536);
    CHECK(to_hex(case4e.encode()) == "00B10000000004" "5402FFFF" "0000");
}

TEST_CASE("command APDU parse inverts encode for all cases", "[apdu]") {
    const std::vector<CommandApdu> cases{
        CommandApdu(0x00, 0x84, 0, 0),
        CommandApdu(0x00, 0xB0, 0, 0, {}, 256),
        CommandApdu(0x00, 0xA4, 4, 0x0C, from_hex("A0000002471001")),
        CommandApdu(0x00, 0x88, 0, 0, from_hex("0102030405060708"), 256),
        CommandApdu(0x00, 0xB0, 0, 0, {}, 65536),
        CommandApdu(0x00, 0xD6, 0, 0, Bytes(1000, 7)),
        CommandApdu(0x0C, 0xB1, 0, 0, Bytes(300, 1), 4000),
    };
    for (const auto& c : cases) {
        const auto back = CommandApdu::parse(c.encode());
        CHECK(back.encode() == c.encode());
        CHECK(back.data == c.data);
        CHECK(back.le == c.le);
    }
}

TEST_CASE("command APDU parse refuses inconsistent lengths", "[apdu]") {
    CHECK_THROWS_AS(CommandApdu::parse(from_hex("00A4")), ParseError);
    CHECK_THROWS_WITH(CommandApdu::parse(from_hex("00A4020C05011E")), Catch::Contains("Lc 5"));
    CHECK_THROWS_AS(CommandApdu::parse(from_hex("00D60000000003AABB")), ParseError);
    CHECK_THROWS_AS(CommandApdu::parse(from_hex("00D600000000")), ParseError);
}

TEST_CASE("command chaining sets CLA bit 10 on all but the last block", "[apdu]") {
    CommandApdu c(0x84, 0xD6, 0x00, 0x00, Bytes(600, 0x55), 0);
    const auto parts = c.chain(255);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].cla == 0x94);
    CHECK(parts[1].cla == 0x94);
    CHECK(parts[2].cla == 0x84);
    CHECK(parts[0].data.size() == 255);
    CHECK(parts[2].data.size() == 90);
    CHECK_FALSE(parts[0].le.has_value());
    CHECK(parts[2].le == std::optional<std::size_t>(0));
}

TEST_CASE("status words have one table of meanings", "[apdu]") {
    CHECK(apdu::sw::conditions_not_satisfied.describe() == "6985 (conditions of use not satisfied)");
    CHECK(apdu::StatusWord(0x61, 0x10).meaning() == "more response data available");
    CHECK(apdu::StatusWord(0x63, 0xC2).meaning() == "verification failed, counter gives the remaining tries");
    CHECK(apdu::StatusWord(0x12, 0x34).meaning() == "unknown status word");
    const auto r = apdu::ResponseApdu::parse(from_hex("60149000"));
    CHECK(to_hex(r.data) == "6014");
    CHECK(r.ok());
    CHECK_THROWS_AS(apdu::ResponseApdu::parse(from_hex("90")), ParseError);
}

TEST_CASE("hex parsing refuses bad digits", "[util]") {
    CHECK(from_hex("0a:0B 0c") == Bytes{0x0A, 0x0B, 0x0C});
    CHECK_THROWS_WITH(from_hex("0G"), Catch::Contains("position 2"));
    CHECK_THROWS_WITH(from_hex("ABC"), Catch::Contains("odd number"));
    CHECK(equal_ct(from_hex("0102"), from_hex("0102")));
    CHECK_FALSE(equal_ct(from_hex("0102"), from_hex("0103")));
    CHECK_FALSE(equal_ct(from_hex("0102"), from_hex("01")));
}
