// SCP03 (GP Amendment D) against the published pySim vector of
// ../shared/reference/globalplatform-scp03.md, and the secure channel's refusals.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace dc_test;

namespace {

// The vector card: static AES-128 keys 00.., 10.., 20.., KVN 30, KDD of ten zero bytes.
// Its card challenge is not the pseudo-random one of any AID we tried (A000000151000000,
// A0000002471001, ...), so the test hook fixes it; the counter starts at 1 and the
// INITIALIZE UPDATE increments it to the vector's 000002. SL 11 is outside our accepted set
// (03/13/33), so the hook any_security_level admits it.
std::unique_ptr<Card> vector_card() {
    applet::CardOptions o;
    o.test.serial = Bytes(10, 0x00);
    o.test.static_keys = applet::Scp03StaticKeys{0x30, secure_from_hex("000102030405060708090A0B0C0D0E0F"),
                                                 secure_from_hex("101112131415161718191A1B1C1D1E1F"),
                                                 secure_from_hex("202122232425262728292A2B2C2D2E2F")};
    o.test.sequence_counter = 1;
    o.test.card_challenge = from_hex("3EB51047495B249F");
    o.test.any_security_level = true;
    return Card::in_memory(o);
}

}  // namespace

TEST_CASE("INITIALIZE UPDATE and EXTERNAL AUTHENTICATE reproduce the Amendment D vector", "[applet][scp03][vector]") {
    auto card = vector_card();
    CHECK(tx(*card, "8050300008B13E5F938FC108C400") == "000000000000000000003003703EB51047495B249F66C484C1D2EF1948000002" "9000");
    CHECK(tx(*card, "84821100107D5F5826A993EBC89EEA24957FA0B3CE") == "9000");
    // The vector's next command (STORE DATA, C-MAC only): the C-MAC verifies, then the applet
    // does not know INS E2.
    CHECK(tx(*card, "84E291000EBF3E035C015A558D036518A2829700") == "6D00");
}

TEST_CASE("A wrong C-MAC on the vector's next command answers 6982 and closes the session", "[applet][scp03]") {
    auto card = vector_card();
    REQUIRE(tx(*card, "8050300008B13E5F938FC108C400").substr(64) == "9000");
    REQUIRE(tx(*card, "84821100107D5F5826A993EBC89EEA24957FA0B3CE") == "9000");
    CHECK(tx(*card, "84E291000EBF3E035C015A558D036518A2829600") == "6982");
    CHECK(tx(*card, "84E291000EBF3E035C015A558D036518A2829700") == "6982");  // session gone
}

TEST_CASE("SL 11 is refused without the test hook; 03, 13, 33 accepted", "[applet][scp03]") {
    auto card = Card::in_memory();
    auto scp = scp_for(*card);
    CHECK(scp.open(0x11) == 0x6A86);
    CHECK(scp.open(0x01) == 0x6A86);
    for (const std::uint8_t sl : {std::uint8_t{0x03}, std::uint8_t{0x13}, std::uint8_t{0x33}}) {
        CHECK(scp.open(sl) == 0x9000);
        CHECK(scp.card_cryptogram_ok);
        const auto r = scp.send("80CA006600");
        CHECK(r.sw.value() == 0x9000);
        CHECK(to_hex(r.data).substr(0, 14) == "661A800101810A");
    }
}

TEST_CASE("Pseudo-random card challenge and sequence counter (Amendment D 6.2.2.1)", "[applet][scp03]") {
    applet::CardOptions o;
    o.test.serial = from_hex("00112233445566778899");
    auto card = Card::in_memory(o);
    const std::string r1 = tx(*card, "80500000080102030405060708" "00");
    const std::string r2 = tx(*card, "80503000080102030405060708" "00");
    REQUIRE(r1.size() == 68);
    CHECK(r1.substr(0, 26) == "00112233445566778899" "300370");
    CHECK(r1.substr(58, 6) == "000001");
    CHECK(r2.substr(58, 6) == "000002");
    const auto k_enc = sample_key(1, from_hex("00112233445566778899"));
    const auto cc = crypto::scp03_kdf(view(k_enc), 0x02, 64, from_hex("000001" "A0000002471001"));
    CHECK(r1.substr(26, 16) == to_hex(view(cc)));
    CHECK(r1.substr(26, 16) != r2.substr(26, 16));
}

TEST_CASE("Five consecutive EXTERNAL AUTHENTICATE failures block the card (6983)", "[applet][scp03][blocked]") {
    TempDir dir;
    const auto path = dir.path / "card.bin";
    {
        auto card = Card::open(path);
        auto scp = scp_for(*card);
        for (int i = 0; i < 4; ++i) CHECK(scp.open(0x33, "0102030405060708", true) == 0x6300);
        CHECK(tx(*card, "80CA006600").substr(34, 6) == "820101");
        CHECK(scp.open() == 0x9000);  // success resets the count
        CHECK(tx(*card, "80CA006600").substr(34, 6) == "820105");
        for (int i = 0; i < 4; ++i) CHECK(scp.open(0x33, "0102030405060708", true) == 0x6300);
    }
    {
        auto card = Card::open(path);  // the count is persistent
        auto scp = scp_for(*card);
        CHECK(scp.open(0x33, "0102030405060708", true) == 0x6300);
        CHECK(state_of(*card) == 0x7F);
        CHECK(tx(*card, "80500000080102030405060708" "00") == "6983");
        CHECK(scp.open() == 0x6983);
        CHECK(tx(*card, "80CA006600").substr(34, 6) == "820100");
        CHECK(tx(*card, "00E000000663040100011E") == "6985");
    }
}

TEST_CASE("EXTERNAL AUTHENTICATE without INITIALIZE UPDATE is 6985; bad lengths 6700", "[applet][scp03]") {
    auto card = Card::in_memory();
    CHECK(tx(*card, "84823300100102030405060708090A0B0C0D0E0F10") == "6985");
    REQUIRE(tx(*card, "80500000080102030405060708" "00").substr(64) == "9000");
    CHECK(tx(*card, "848233000F0102030405060708090A0B0C0D0E0F") == "6700");
}
