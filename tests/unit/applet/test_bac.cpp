// BAC and secure messaging replayed byte for byte against ICAO Doc 9303 Part 11 Appendix D
// (values from ../shared/reference/icao-9303-vectors.md).
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace dc_test;

namespace {

const std::string kEfCom = "60145F0104303130365F36063034303030305C026175";
const std::string kMrzInfo = "L898902C<369080619406236";

// A card whose BAC secret and EF.COM are those of Appendix D, written through SCP03.
std::unique_ptr<Card> appendix_d_card(bool with_aa = false) {
    applet::CardOptions o;
    o.random_seed = 42;
    auto card = Card::in_memory(o);
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    REQUIRE(scp.send("80DA0068045449434B").sw.value() == 0x9000);
    REQUIRE(scp.send(apdu::CommandApdu(0x80, 0xDA, 0x00, 0x62, from_hex(bac_secret_hex("L898902C<", "690806", "940623"))))
                .sw.value() == 0x9000);
    write_ef(scp, 0x011E, from_hex(kEfCom));
    if (with_aa) REQUIRE(scp.send("80478000").sw.value() == 0x9000);
    REQUIRE(tx(*card, "00A4040C07A0000002471001") == "9000");
    return card;
}

}  // namespace

TEST_CASE("BAC and SM replay Doc 9303 Part 11 Appendix D.3 and D.4 exactly", "[applet][bac][vector]") {
    auto card = appendix_d_card();
    card->queue_random(from_hex("4608F91988702212" "0B4F80323EB3191CB04970CB4052790B"));
    CHECK(tx(*card, "0084000008") == "4608F919887022129000");
    CHECK(tx(*card, "0082000028"
                    "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
                    "5F1448EEA8AD90A7"
                    "28") ==
          "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F" "2F2D235D074D7449" "9000");
    // D.4: SELECT EF.COM, READ BINARY 4 bytes, READ BINARY the remaining 0x12 bytes.
    CHECK(tx(*card, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800") == "990290008E08FA855A5D4C50A8ED9000");
    CHECK(tx(*card, "0CB000000D9701048E08ED6705417E96BA5500") == "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000");
    CHECK(tx(*card, "0CB000040D9701128E082EA28A70F3C7B53500") ==
          "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000");
}

TEST_CASE("BAC refusals: 6300 wrong key, 6988 bad MAC ends the session, plain READ inside a session", "[applet][bac]") {
    auto card = appendix_d_card();
    SECTION("wrong MRZ information") {
        BacHost bac(*card);
        CHECK(bac.open("L898902C<369080619406237") == 0x6300);
        CHECK(tx(*card, "0082000028" + std::string(80, '0') + "28") == "6985");  // challenge consumed
    }
    SECTION("bad MAC") {
        BacHost bac(*card);
        REQUIRE(bac.open(kMrzInfo) == 0x9000);
        CHECK(bac.send("00A4020C02011E").sw.value() == 0x9000);
        CHECK(tx(*card, "0CB000000D9701048E080000000000000000" "00") == "6988");
        CHECK(tx(*card, "0CB000000D9701048E08ED6705417E96BA5500") == "6982");  // no session any more
    }
    SECTION("plain SELECT EF inside a session ends it") {
        BacHost bac(*card);
        REQUIRE(bac.open(kMrzInfo) == 0x9000);
        CHECK(tx(*card, "00A4020C02011E") == "6988");
        CHECK(bac.send("00A4020C02011E").sw.value() == 0x6982);
    }
    SECTION("read side through a generic host") {
        BacHost bac(*card);
        REQUIRE(bac.open(kMrzInfo, "0102030405060708", "00112233445566778899AABBCCDDEEFF") == 0x9000);
        CHECK(bac.send("00A4020C020101").sw.value() == 0x6A82);
        CHECK(bac.send("00A4020C02011E").sw.value() == 0x9000);
        auto r = bac.send("00B0000000");
        CHECK(to_hex(r.data) == kEfCom);
        CHECK(r.sw.value() == 0x6282);  // Le 256 beyond the 22-byte EF
        r = bac.send("00B0002000");
        CHECK(r.sw.value() == 0x6B00);
        r = bac.send("00B10000035401" "10" "08");
        CHECK(to_hex(r.data) == "5306" + kEfCom.substr(32));
        r = bac.send("00CA006600");
        CHECK(r.sw.value() == 0x9000);
        CHECK(to_hex(r.data).find(card->serial_hex()) != std::string::npos);
        CHECK(bac.send("00880000080102030405060708").sw.value() == 0x6985);  // no AA key
    }
}

TEST_CASE("INTERNAL AUTHENTICATE signs the challenge with the on-card AA key (Part 11 6.1)", "[applet][aa]") {
    auto card = appendix_d_card(true);
    // Public key from READ AA PUBLIC KEY in a new SCP03 session.
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    const auto pub = scp.send("80478100");
    REQUIRE(pub.sw.value() == 0x9000);
    REQUIRE(pub.data.size() == 70);
    CHECK(to_hex(ByteView(pub.data).first(5)) == "7F49438641");
    const Bytes point(pub.data.begin() + 5, pub.data.end());
    BacHost bac(*card);
    REQUIRE(bac.open(kMrzInfo) == 0x9000);
    const Bytes challenge = from_hex("A1B2C3D4E5F60718");
    const auto sig = bac.send(apdu::CommandApdu(0x00, 0x88, 0x00, 0x00, challenge, 256));
    REQUIRE(sig.sw.value() == 0x9000);
    REQUIRE(sig.data.size() == 64);
    const Bytes spki = crypto::point_to_spki_p256(point);
    CHECK(crypto::verify_sha256_plain(spki, challenge, sig.data));
    CHECK_FALSE(crypto::verify_sha256_plain(spki, from_hex("A1B2C3D4E5F60719"), sig.data));
}
