#include <catch2/catch.hpp>

#include "docketcard/transport/trace.hpp"
#include "fake_link.hpp"

using namespace docketcard;
using namespace docketcard::transport;
using docketcard::transport::test::ScriptedChannel;

namespace {

struct Captured {
    std::vector<std::string> lines;
    long long now = 12;
    TraceOptions options(TraceLevel level) {
        TraceOptions o;
        o.level = level;
        o.sink = [this](const std::string& l) { lines.push_back(l); };
        o.clock = [this] { return std::chrono::milliseconds(now++); };
        return o;
    }
    std::string all() const {
        std::string s;
        for (const auto& l : lines) s += l + "\n";
        return s;
    }
};

// BAC secret of the Doc 9303 Part 11 Appendix D example: document number L898902C<, birth 690806,
// expiry 940623, in the PUT DATA 62 template of docs/card-protocol.md.
const std::string docno_hex = to_hex(to_bytes("L898902C<"));
const std::string bac_template = "621B" "0409" + docno_hex + "0406" + to_hex(to_bytes("690806")) + "0406" +
                                 to_hex(to_bytes("940623"));

}  // namespace

TEST_CASE("trace line format for a plain SELECT and its response", "[transport][trace]") {
    ScriptedChannel s({{"00A4040C07A0000002471001", "9000"}, {"00B000000A", "0102039000"}});
    Captured cap;
    TracingChannel t(*s.channel, cap.options(TraceLevel::Wire));
    t.transmit(apdu::CommandApdu::select_aid(from_hex("A0000002471001")));
    t.transmit(apdu::CommandApdu::read_binary(0, 10));
    REQUIRE(cap.lines.size() == 4);
    CHECK(cap.lines[0] == "[    12 ms] wire  > 00 A4 04 0C Lc=7 A0000002471001");
    CHECK(cap.lines[1] == "[    13 ms] wire  < 9000 (success)");
    CHECK(cap.lines[2] == "[    14 ms] wire  > 00 B0 00 00 Le=10");
    CHECK(cap.lines[3] == "[    15 ms] wire  < 010203 9000 (success)");
}

TEST_CASE("a PUT DATA 62 with the BAC secret never shows the secret, at either level", "[transport][trace]") {
    const std::string wire_cmd = "84DA0062" "1D" + bac_template;
    ScriptedChannel s({{wire_cmd, "9000"}, {"00DA00621D" + bac_template, "9000"}});
    Captured cap;
    TracingChannel wire(*s.channel, cap.options(TraceLevel::Wire));
    wire.transmit(apdu::CommandApdu::parse(from_hex(wire_cmd)));
    TracingChannel plain(*s.channel, cap.options(TraceLevel::Plain));
    plain.transmit(apdu::CommandApdu(0x00, 0xDA, 0x00, 0x62, from_hex(bac_template)));

    CHECK(cap.lines[0] == "[    12 ms] wire  > 84 DA 00 62 Lc=29 <29 bytes redacted>");
    CHECK(cap.lines[2] == "[    14 ms] plain > 00 DA 00 62 Lc=29 <29 bytes redacted>");
    const std::string all = cap.all();
    CHECK(all.find(docno_hex) == std::string::npos);
    CHECK(all.find(to_hex(to_bytes("690806"))) == std::string::npos);
    CHECK(all.find(to_hex(to_bytes("940623"))) == std::string::npos);
    CHECK(all.find("L898902C") == std::string::npos);
}

TEST_CASE("SM-protected commands and responses are redacted on the wire, shown in plain", "[transport][trace]") {
    ScriptedChannel s({
        {"0CB0000000", "8709011122334455667788990E08AABBCCDDEEFF00119000"},
        {"00B0000004", "60145F019000"},
    });
    Captured cap;
    TracingChannel wire(*s.channel, cap.options(TraceLevel::Wire));
    wire.transmit(apdu::CommandApdu(0x0C, 0xB0, 0, 0, {}, 256));
    TracingChannel plain(*s.channel, cap.options(TraceLevel::Plain));
    plain.transmit(apdu::CommandApdu::read_binary(0, 4));
    CHECK(cap.lines[1] == "[    13 ms] wire  < <22 bytes redacted> 9000 (success)");
    CHECK(cap.lines[3] == "[    15 ms] plain < 60145F01 9000 (success)");
}

TEST_CASE("authentication cryptograms are redacted in commands and responses", "[transport][trace]") {
    CHECK(trace_redacts(apdu::CommandApdu(0x80, 0x50, 0x30, 0x00, Bytes(8, 1), 256), TraceLevel::Plain));
    CHECK(trace_redacts(apdu::CommandApdu(0x84, 0x82, 0x33, 0x00, Bytes(16, 1)), TraceLevel::Plain));
    CHECK(trace_redacts(apdu::CommandApdu(0x00, 0x82, 0x00, 0x00, Bytes(40, 1), 40), TraceLevel::Wire));
    CHECK(trace_redacts(apdu::CommandApdu(0x84, 0xE0, 0x00, 0x00, Bytes(6, 1)), TraceLevel::Wire));
    CHECK(trace_redacts(apdu::CommandApdu(0x94, 0xD6, 0x00, 0x00, Bytes(6, 1)), TraceLevel::Wire));
    CHECK_FALSE(trace_redacts(apdu::CommandApdu(0x84, 0xE0, 0x00, 0x00, Bytes(6, 1)), TraceLevel::Plain));
    CHECK_FALSE(trace_redacts(apdu::CommandApdu::get_challenge(8), TraceLevel::Wire));
    CHECK_FALSE(trace_redacts(apdu::CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256), TraceLevel::Wire));

    ScriptedChannel s({{"8050300008" "0102030405060708" "00", std::string(64, 'C') + "9000"}});
    Captured cap;
    TracingChannel t(*s.channel, cap.options(TraceLevel::Wire));
    t.transmit(apdu::CommandApdu(0x80, 0x50, 0x30, 0x00, from_hex("0102030405060708"), 256));
    CHECK(cap.lines[0] == "[    12 ms] wire  > 80 50 30 00 Lc=8 <8 bytes redacted> Le=256");
    CHECK(cap.lines[1] == "[    13 ms] wire  < <32 bytes redacted> 9000 (success)");
}

TEST_CASE("a failing transmit is traced and rethrown", "[transport][trace]") {
    ScriptedChannel s({});
    Captured cap;
    TracingChannel t(*s.channel, cap.options(TraceLevel::Wire));
    CHECK_THROWS_AS(t.transmit(apdu::CommandApdu::get_challenge(8)), Error);
    REQUIRE(cap.lines.size() == 2);
    CHECK(cap.lines[1] == "[    13 ms] wire  ! step 1: unexpected extra command 0084000008");
}

TEST_CASE("DG13 holds the portal reference: its content is redacted at every level, other files are not",
          "[transport][trace]") {
    const std::string portal = to_hex(to_bytes("Portal123"));
    ScriptedChannel s({{"00A4020C02010D", "9000"},               // SELECT DG13
                       {"00B0000004", "6D1180019000"},           // its first bytes
                       {"00B08D0004", "6D11" "9000"},       // SFI 0D
                       {"00A4020C02010B", "9000"},               // SELECT DG11
                       {"00B0000002", "6B269000"},
                       {"00D6000009" + portal, "9000"},          // UPDATE BINARY on DG11: shown
                       {"00E000000A620883020" "10D8202010" "1", "9000"},  // CREATE FILE 010D: selects it
                       {"00D6000009" + portal, "9000"},          // UPDATE BINARY on DG13: redacted
                       {"00B1010D03", "5403" "019000"}});   // odd INS with file identifier 010D
    Captured cap;
    TracingChannel t(*s.channel, cap.options(TraceLevel::Plain));
    t.transmit(apdu::CommandApdu(0x00, 0xA4, 0x02, 0x0C, from_hex("010D")));
    t.transmit(apdu::CommandApdu::read_binary(0, 4));
    t.transmit(apdu::CommandApdu(0x00, 0xB0, 0x8D, 0x00, {}, 4));
    t.transmit(apdu::CommandApdu(0x00, 0xA4, 0x02, 0x0C, from_hex("010B")));
    t.transmit(apdu::CommandApdu::read_binary(0, 2));
    t.transmit(apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, to_bytes("Portal123")));
    t.transmit(apdu::CommandApdu(0x00, 0xE0, 0x00, 0x00, from_hex("620883020" "10D8202010" "1")));
    t.transmit(apdu::CommandApdu(0x00, 0xD6, 0x00, 0x00, to_bytes("Portal123")));
    t.transmit(apdu::CommandApdu(0x00, 0xB1, 0x01, 0x0D, {}, 3));
    REQUIRE(cap.lines.size() == 18);
    CHECK(cap.lines[3] == "[    15 ms] plain < <4 bytes redacted> 9000 (success)");
    CHECK(cap.lines[5] == "[    17 ms] plain < <2 bytes redacted> 9000 (success)");
    CHECK(cap.lines[9] == "[    21 ms] plain < 6B26 9000 (success)");
    CHECK(cap.lines[10] == "[    22 ms] plain > 00 D6 00 00 Lc=9 " + portal);
    CHECK(cap.lines[14] == "[    26 ms] plain > 00 D6 00 00 Lc=9 <9 bytes redacted>");
    CHECK(cap.lines[17] == "[    29 ms] plain < <3 bytes redacted> 9000 (success)");
    const auto shown_at = cap.all().find("Lc=9 " + portal);
    CHECK(cap.all().find(portal, shown_at + 5 + portal.size()) == std::string::npos);
}
