// Active Authentication verification (ICAO Doc 9303 Part 11 6.1) with a P-256 key made here.
#include <catch2/catch.hpp>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/auth/active_auth.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using testing::ReplayChannel;

namespace {
const char* const kChallenge = "0102030405060708";
const std::string kCommand = std::string("0088000008") + kChallenge + "00";
}  // namespace

TEST_CASE("Active Authentication accepts the chip's signature and rejects a bad one", "[aa]") {
    const auto key = crypto::EcPrivateKey::generate_p256();
    const Bytes spki = key.public_key_spki();
    const Bytes dg15 = tlv::encode(0x6F, spki);
    const Bytes sig = key.sign_sha256_plain(from_hex(kChallenge));
    REQUIRE(sig.size() == 64);
    Bytes bad = sig;
    bad[10] ^= 0x01;

    ReplayChannel card({{kCommand, to_hex(sig) + "9000"},
                        {kCommand, to_hex(sig) + "9000"},
                        {kCommand, to_hex(bad) + "9000"},
                        {kCommand, to_hex(ByteView(sig).subspan(0, 63)) + "9000"}});
    const auto ok = auth::verify_active_authentication(card, dg15, from_hex(kChallenge));
    CHECK(ok.valid);
    CHECK(ok.signature == sig);
    CHECK(to_hex(ok.challenge) == kChallenge);
    CHECK(auth::verify_active_authentication(card, spki, crypto::sequence_random(from_hex(kChallenge))).valid);
    const auto tampered = auth::verify_active_authentication(card, dg15, from_hex(kChallenge));
    CHECK_FALSE(tampered.valid);
    CHECK_THAT(tampered.detail, Catch::Contains("does not verify"));
    const auto short_sig = auth::verify_active_authentication(card, dg15, from_hex(kChallenge));
    CHECK_FALSE(short_sig.valid);
    CHECK_THAT(short_sig.detail, Catch::Contains("63 bytes"));
    card.done();
}

TEST_CASE("Active Authentication refusals", "[aa]") {
    const auto key = crypto::EcPrivateKey::generate_p256();
    ReplayChannel card({{kCommand, "6A88"}});
    try {
        auth::verify_active_authentication(card, key.public_key_spki(), from_hex(kChallenge));
        FAIL("accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6A88);
    }
    card.done();
    ReplayChannel none({});
    CHECK_THROWS_AS(auth::verify_active_authentication(none, key.public_key_spki(), from_hex("0102")), Error);
    CHECK_THROWS_AS(auth::verify_active_authentication(none, from_hex("6F03300100"), from_hex(kChallenge)), ParseError);
    CHECK(none.sent().empty());
}
