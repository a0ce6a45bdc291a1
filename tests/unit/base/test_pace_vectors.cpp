// PACE arithmetic (crypto/pace) against the worked example of ICAO Doc 9303 Part 11 Appendix G.1
// (ECDH generic mapping on brainpoolP256r1), kept as data in tests/vectors/pace-doc9303-g1.txt.
#include <catch2/catch.hpp>

#include "docketcard/crypto/pace.hpp"
#include "docketcard/util/error.hpp"
#include "support/vector_file.hpp"

using namespace docketcard;
namespace pace = crypto::pace;

namespace {
const test::VectorFile& g1() {
    static const test::VectorFile v("pace-doc9303-g1.txt");
    return v;
}
std::string hex(const SecureBytes& b) { return to_hex(view(b)); }
const pace::Domain& bp256() { return pace::Domain::get(pace::DomainId::BrainpoolP256r1); }
}  // namespace

TEST_CASE("PACE password key from the MRZ, Doc 9303 Part 11 G.1", "[crypto][pace]") {
    const auto& v = g1();
    CHECK(hex(pace::password_secret(pace::PasswordKind::Mrz, v.text("mrz_information"))) == v.hex("k_pi_input"));
    CHECK(hex(pace::password_key(pace::Protocol::PaceEcdhGmAes128, pace::PasswordKind::Mrz, v.text("mrz_information"))) ==
          v.hex("k_pi"));
    CHECK(to_hex(pace::oid(pace::Protocol::PaceEcdhGmAes128)) == v.hex("oid"));
}

TEST_CASE("PACE nonce decryption and encryption, Doc 9303 Part 11 G.1", "[crypto][pace]") {
    const auto& v = g1();
    CHECK(hex(pace::decrypt_nonce(v.bytes("k_pi"), v.bytes("encrypted_nonce"))) == v.hex("nonce"));
    CHECK(to_hex(pace::encrypt_nonce(v.bytes("k_pi"), v.bytes("nonce"))) == v.hex("encrypted_nonce"));
    CHECK_THROWS_AS(pace::decrypt_nonce(v.bytes("k_pi"), Bytes(15, 0)), ParseError);
}

TEST_CASE("PACE generic mapping on brainpoolP256r1, Doc 9303 Part 11 G.1", "[crypto][pace]") {
    const auto& v = g1();
    const auto& d = bp256();
    CHECK(to_hex(d.multiply(d.generator(), v.bytes("sk_map_ifd"))) == v.hex("pk_map_ifd"));
    CHECK(to_hex(d.multiply(d.generator(), v.bytes("sk_map_ic"))) == v.hex("pk_map_ic"));
    // Both sides compute the same H.
    const Bytes h_ifd = d.multiply(v.bytes("pk_map_ic"), v.bytes("sk_map_ifd"));
    const Bytes h_ic = d.multiply(v.bytes("pk_map_ifd"), v.bytes("sk_map_ic"));
    CHECK(to_hex(h_ifd) == v.hex("h"));
    CHECK(h_ic == h_ifd);
    CHECK(to_hex(d.map_generic(v.bytes("nonce"), h_ifd)) == v.hex("mapped_generator"));
}

TEST_CASE("PACE key agreement, session keys and tokens, Doc 9303 Part 11 G.1", "[crypto][pace]") {
    const auto& v = g1();
    const auto& d = bp256();
    const Bytes g_hat = v.bytes("mapped_generator");
    CHECK(to_hex(d.multiply(g_hat, v.bytes("sk_dh_ifd"))) == v.hex("pk_dh_ifd"));
    CHECK(to_hex(d.multiply(g_hat, v.bytes("sk_dh_ic"))) == v.hex("pk_dh_ic"));
    const SecureBytes k_ifd = d.shared_secret(v.bytes("sk_dh_ifd"), v.bytes("pk_dh_ic"));
    const SecureBytes k_ic = d.shared_secret(v.bytes("sk_dh_ic"), v.bytes("pk_dh_ifd"));
    CHECK(hex(k_ifd) == v.hex("shared_secret"));
    CHECK(k_ic == k_ifd);
    const auto keys = pace::derive_session_keys(pace::Protocol::PaceEcdhGmAes128, view(k_ifd));
    CHECK(hex(keys.ks_enc) == v.hex("ks_enc"));
    CHECK(hex(keys.ks_mac) == v.hex("ks_mac"));
    CHECK(to_hex(pace::token_input(pace::Protocol::PaceEcdhGmAes128, v.bytes("pk_dh_ic"))) == v.hex("token_input_ifd"));
    CHECK(to_hex(pace::authentication_token(view(keys.ks_mac), pace::Protocol::PaceEcdhGmAes128, v.bytes("pk_dh_ic"))) ==
          v.hex("t_ifd"));
    CHECK(to_hex(pace::authentication_token(view(keys.ks_mac), pace::Protocol::PaceEcdhGmAes128, v.bytes("pk_dh_ifd"))) ==
          v.hex("t_ic"));
}

TEST_CASE("PACE points and scalars from outside are checked", "[crypto][pace]") {
    const auto& v = g1();
    const auto& d = bp256();
    Bytes off_curve = v.bytes("pk_dh_ic");
    off_curve[64] ^= 0x01;
    CHECK_THROWS_AS(d.check_point(off_curve), ParseError);
    CHECK_THROWS_AS(d.multiply(off_curve, v.bytes("sk_dh_ifd")), ParseError);
    CHECK_THROWS_AS(d.map_generic(v.bytes("nonce"), Bytes(65, 0)), ParseError);
    Bytes compressed(v.bytes("pk_dh_ic").begin(), v.bytes("pk_dh_ic").begin() + 33);
    compressed[0] = 0x02;
    CHECK_THROWS_AS(d.check_point(compressed), ParseError);
    // A point of P-256 is not a point of brainpoolP256r1.
    const auto& p256 = pace::Domain::get(pace::DomainId::NistP256);
    CHECK_THROWS_AS(d.check_point(p256.generator()), ParseError);
    CHECK(d.valid_scalar(v.bytes("sk_dh_ifd")));
    CHECK_FALSE(d.valid_scalar(Bytes(32, 0)));
    CHECK_FALSE(d.valid_scalar(Bytes(32, 0xFF)));
    CHECK_FALSE(d.valid_scalar(Bytes(31, 0x01)));
}

TEST_CASE("PACE CAN password is its six digits", "[crypto][pace]") {
    CHECK(to_hex(view(pace::password_secret(pace::PasswordKind::Can, "123456"))) == "313233343536");
    CHECK_THROWS_AS(pace::password_secret(pace::PasswordKind::Can, "12345"), Error);
    CHECK_THROWS_AS(pace::password_secret(pace::PasswordKind::Can, "12345a"), Error);
    CHECK_THROWS_AS(pace::password_secret(pace::PasswordKind::Mrz, "T2200012936408125101031"), Error);
    // AES-256 key derivation uses SHA-256 (Part 11 9.7.1).
    CHECK(pace::password_key(pace::Protocol::PaceEcdhGmAes256, pace::PasswordKind::Can, "123456").size() == 32);
}
