#include <catch2/catch.hpp>

#include "docketcard/util/error.hpp"
#include "fake_link.hpp"

using namespace docketcard;
using namespace docketcard::transport;
using docketcard::transport::test::ScriptedChannel;

namespace {
apdu::CommandApdu cmd(const char* hex) { return apdu::CommandApdu::parse(from_hex(hex)); }
}  // namespace

TEST_CASE("transmit passes a 9000 response through unchanged", "[transport][link]") {
    ScriptedChannel s(test::Steps{{"00A4040C07A0000002471001", "9000"}});
    const auto r = s.channel->transmit(cmd("00A4040C07A0000002471001"));
    CHECK(r.sw.value() == 0x9000);
    CHECK(r.data.empty());
    CHECK(s.link->done());
}

TEST_CASE("transmit follows 61xx with GET RESPONSE until the card stops and concatenates", "[transport][link]") {
    ScriptedChannel s({
        {"00B0000000", "0102036110"},                         // partial data, 16 more
        {"00C0000010", "AABBCCDDEEFF00112233445566778899" "6102"},  // 16 bytes, 2 more
        {"00C0000002", "EEFF9000"},
    });
    const auto r = s.channel->transmit(cmd("00B0000000"));
    CHECK(to_hex(r.data) == "010203AABBCCDDEEFF00112233445566778899EEFF");
    CHECK(r.sw.value() == 0x9000);
    CHECK(s.link->done());
}

TEST_CASE("GET RESPONSE keeps the logical channel bits of CLA and drops SM/chaining bits", "[transport][link]") {
    ScriptedChannel s({{"0C88000000", "6108"}, {"00C0000008", "11223344556677889000"}});
    const auto r = s.channel->transmit(cmd("0C88000000"));
    CHECK(to_hex(r.data) == "1122334455667788");
    CHECK(s.link->done());
}

TEST_CASE("61 00 asks for 256 bytes", "[transport][link]") {
    ScriptedChannel s({{"00CA006600", "6100"}, {"00C0000000", "AB9000"}});
    CHECK(to_hex(s.channel->transmit(cmd("00CA006600")).data) == "AB");
}

TEST_CASE("transmit resends once with the exact Le after 6Cxx", "[transport][link]") {
    ScriptedChannel s({{"00B0000010", "6C05"}, {"00B0000005", "01020304059000"}});
    const auto r = s.channel->transmit(cmd("00B0000010"));
    CHECK(to_hex(r.data) == "0102030405");
    CHECK(r.sw.value() == 0x9000);
    CHECK(s.link->done());
}

TEST_CASE("a second 6Cxx is returned to the caller, not resent again", "[transport][link]") {
    ScriptedChannel s({{"00B0000010", "6C05"}, {"00B0000005", "6C04"}});
    CHECK(s.channel->transmit(cmd("00B0000010")).sw.value() == 0x6C04);
    CHECK(s.link->done());
}

TEST_CASE("6Cxx followed by 61xx: resend then GET RESPONSE", "[transport][link]") {
    ScriptedChannel s({{"80CA006600", "6C03"}, {"80CA006603", "AA6102"}, {"00C0000002", "BBCC9000"}});
    const auto r = s.channel->transmit(cmd("80CA006600"));
    CHECK(to_hex(r.data) == "AABBCC");
    CHECK(s.link->done());
}

TEST_CASE("error status words are returned, never judged by the transport", "[transport][link]") {
    ScriptedChannel s(test::Steps{{"00A4020C020101", "6A82"}});
    CHECK(s.channel->transmit(cmd("00A4020C020101")).sw.value() == 0x6A82);
}

TEST_CASE("a link without extended length refuses a long command instead of chaining it", "[transport][link]") {
    ScriptedChannel s({});
    const apdu::CommandApdu big(0x00, 0xD6, 0x00, 0x00, Bytes(300, 0x55));
    try {
        s.channel->transmit(big);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Internal);
        CHECK_THAT(e.what(), Catch::Contains("needs extended length") && Catch::Contains("transmit_long"));
    }
}

TEST_CASE("an extended link sends the extended form", "[transport][link]") {
    std::string hex = "00D60000" "00012C" + std::string(600, '5');
    ScriptedChannel s({{hex, "9000"}}, test::extended_caps());
    CHECK(s.channel->transmit(apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, Bytes(300, 0x55))).ok());
    CHECK(s.link->done());
}

TEST_CASE("transmit_long chains in 255-byte blocks on a short link", "[transport][chain]") {
    ScriptedChannel s({
        {"10D60000FF" + std::string(510, 'A'), "9000"},
        {"00D600002D" + std::string(90, 'A'), "9000"},
    });
    const auto r = transmit_long(*s.channel, apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, Bytes(300, 0xAA)));
    CHECK(r.ok());
    CHECK(s.link->done());
}

TEST_CASE("transmit_long sends one extended command when the link can", "[transport][chain]") {
    ScriptedChannel s({{"00D60000" "00012C" + std::string(600, 'A'), "9000"}}, test::extended_caps());
    CHECK(transmit_long(*s.channel, apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, Bytes(300, 0xAA))).ok());
    CHECK(s.link->done());
}

TEST_CASE("transmit_long narrows to the limits the caller gives (card's own maximum)", "[transport][chain]") {
    Capabilities card = test::extended_caps();
    card.max_command_data = 200;
    ScriptedChannel s({
        {"10DA0068" "C8" + std::string(400, 'B'), "9000"},
        {"00DA0068" "64" + std::string(200, 'B'), "9000"},
    }, test::extended_caps());
    CHECK(transmit_long(*s.channel, apdu::CommandApdu(0x00, 0xDA, 0x00, 0x68, Bytes(300, 0xBB)), card).ok());
    CHECK(s.link->done());
}

TEST_CASE("transmit_chained stops at the first refused block", "[transport][chain]") {
    ScriptedChannel s(test::Steps{{"10D6000002AAAA", "6A80"}});
    try {
        transmit_chained(*s.channel, apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, Bytes(5, 0xAA)), 2);
        FAIL("expected an error");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6A80);
        CHECK(std::string(e.what()) ==
              "the card refused block 1 of 3 of chained command INS D6: 6A80 (incorrect parameters in the command "
              "data field)");
    }
    CHECK(s.link->done());
}

TEST_CASE("transmit_chained returns the last block's response and status", "[transport][chain]") {
    ScriptedChannel s({{"10D6000002AAAA", "9000"}, {"10D6000002AAAA", "9000"}, {"00D6000001AA", "6700"}});
    CHECK(transmit_chained(*s.channel, apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, Bytes(5, 0xAA)), 2).sw.value() ==
          0x6700);
    CHECK(s.link->done());
}

TEST_CASE("parse_atr reads the card capabilities of the historical bytes", "[transport][atr]") {
    // 3B 89 80 01: T=1, nine historical bytes: 80 category, 73 card capabilities (C0: chaining +
    // extended length), then 43 ... (card issuer's data), then TCK.
    const AtrInfo a = parse_atr(from_hex("3B89800180730021C04301020305"));
    CHECK(a.t1);
    CHECK(to_hex(a.historical) == "80730021C043010203");
    CHECK(a.card_capabilities);
    CHECK(a.extended_length);
    CHECK(a.command_chaining);

    const AtrInfo b = parse_atr(from_hex("3B858001807300218000"));
    CHECK(b.card_capabilities);
    CHECK(b.command_chaining);
    CHECK_FALSE(b.extended_length);

    const AtrInfo c = parse_atr(from_hex("3B021401"));
    CHECK(c.t0);
    CHECK_FALSE(c.card_capabilities);
    CHECK_THROWS_AS(parse_atr(from_hex("3B8A8001807300")), ParseError);
}
