// Base primitives against the published vectors of ICAO Doc 9303 Part 11 Appendix D and
// GlobalPlatform Amendment D (values kept in ../shared/reference/, copied here as data).
#include <catch2/catch.hpp>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {
std::string hex(ByteView b) { return to_hex(b); }
std::string hex(const SecureBytes& b) { return to_hex(view(b)); }
}  // namespace

TEST_CASE("BAC key derivation, Doc 9303 Part 11 D.2", "[crypto][bac]") {
    const auto seed = crypto::bac_seed("L898902C<369080619406236");
    CHECK(hex(seed) == "239AB9CB282DAF66231DC5A4DF6BFBAE");
    CHECK(hex(crypto::icao_kdf_3des(view(seed), 1)) == "AB94FDECF2674FDFB9B391F85D7F76F2");
    CHECK(hex(crypto::icao_kdf_3des(view(seed), 2)) == "7962D9ECE03D1ACD4C76089DCE131543");
}

TEST_CASE("BAC session keys from K.IFD xor K.IC, Doc 9303 Part 11 D.3", "[crypto][bac]") {
    const Bytes seed = from_hex("0036D272F5C350ACAC50C3F572D23600");
    CHECK(hex(crypto::icao_kdf_3des(seed, 1)) == "979EC13B1CBFE9DCD01AB0FED307EAE5");
    CHECK(hex(crypto::icao_kdf_3des(seed, 2)) == "F1CB1F1FB5ADF208806B89DC579DC1F8");
}

TEST_CASE("3DES-CBC and retail MAC of MUTUAL AUTHENTICATE, Doc 9303 Part 11 D.3", "[crypto][bac]") {
    const Bytes kenc = from_hex("AB94FDECF2674FDFB9B391F85D7F76F2");
    const Bytes kmac = from_hex("7962D9ECE03D1ACD4C76089DCE131543");
    const Bytes s = from_hex("781723860C06C226" "4608F91988702212" "0B795240CB7049B01C19B33E32804F0B");
    const Bytes e_ifd = crypto::des3_cbc_encrypt(kenc, Bytes(8, 0), s);
    CHECK(hex(e_ifd) == "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
    CHECK(hex(crypto::retail_mac(kmac, crypto::pad_m2(e_ifd, 8))) == "5F1448EEA8AD90A7");
    CHECK(crypto::des3_cbc_decrypt(kenc, Bytes(8, 0), e_ifd) == s);
}

TEST_CASE("SCP03 session keys and cryptograms, GP Amendment D 6.2.1 (pySim vector)", "[crypto][scp03]") {
    const Bytes kenc = from_hex("000102030405060708090A0B0C0D0E0F");
    const Bytes kmac = from_hex("101112131415161718191A1B1C1D1E1F");
    const Bytes context = from_hex("B13E5F938FC108C4" "3EB51047495B249F");
    const auto s_enc = crypto::scp03_kdf(kenc, crypto::scp03_constant::s_enc, 128, context);
    const auto s_mac = crypto::scp03_kdf(kmac, crypto::scp03_constant::s_mac, 128, context);
    const auto s_rmac = crypto::scp03_kdf(kmac, crypto::scp03_constant::s_rmac, 128, context);
    CHECK(hex(s_enc) == "C4E87149F2114DA66BB015A567D751F9");
    CHECK(hex(s_mac) == "8B2635556E987A6B84F43D9FFC197D3F");
    CHECK(hex(s_rmac) == "3F6B2CE3B3ABD9A99BD4453AFA54CC7B");
    CHECK(hex(crypto::scp03_kdf(view(s_mac), crypto::scp03_constant::card_cryptogram, 64, context)) ==
          "66C484C1D2EF1948");
    CHECK(hex(crypto::scp03_kdf(view(s_mac), crypto::scp03_constant::host_cryptogram, 64, context)) ==
          "7D5F5826A993EBC8");
}

TEST_CASE("KDF3 per-card key diversification", "[crypto][scp03]") {
    const Bytes master = from_hex("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD");
    const Bytes kdd = from_hex("D9B1DE5D0362DEDCE4FB");
    CHECK(hex(crypto::diversify_kdf3(master, 1, kdd)) ==
          "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781");
}

TEST_CASE("AES key check value of the GP default test key", "[crypto]") {
    const Bytes key = from_hex("404142434445464748494A4B4C4D4E4F");
    CHECK(hex(crypto::aes_ecb_encrypt(key, Bytes(16, 0x01))).substr(0, 6) == "504A77");
}

TEST_CASE("padding method 2 round trip and refusal", "[crypto]") {
    CHECK(hex(crypto::pad_m2(from_hex("0102"), 8)) == "0102800000000000");
    CHECK(hex(crypto::pad_m2(Bytes(8, 0xAA), 8)) == "AAAAAAAAAAAAAAAA8000000000000000");
    CHECK(crypto::unpad_m2(from_hex("0102800000000000")) == from_hex("0102"));
    CHECK_THROWS_AS(crypto::unpad_m2(from_hex("0102000000000000")), ParseError);
    CHECK_THROWS_AS(crypto::unpad_m2(Bytes{}), ParseError);
}

TEST_CASE("ECDSA P-256 plain signatures round trip through SPKI", "[crypto][ecdsa]") {
    auto key = crypto::EcPrivateKey::generate_p256();
    const Bytes msg = from_hex("0102030405060708");
    const Bytes sig = key.sign_sha256_plain(msg);
    REQUIRE(sig.size() == 64);
    const Bytes spki = key.public_key_spki();
    CHECK(crypto::verify_sha256_plain(spki, msg, sig));
    Bytes bad = sig;
    bad[10] ^= 0x01;
    CHECK_FALSE(crypto::verify_sha256_plain(spki, msg, bad));
    CHECK(crypto::spki_to_point(spki) == key.public_point());
    CHECK(crypto::point_to_spki_p256(key.public_point()) == spki);
    auto again = crypto::EcPrivateKey::from_scalar_p256(view(key.scalar()));
    CHECK(again.public_point() == key.public_point());
    CHECK_THROWS_AS(crypto::point_to_spki_p256(Bytes(65, 0x04)), ParseError);
}

TEST_CASE("spki_to_point refuses keys on other curves", "[crypto][ecdsa]") {
    // A throwaway P-384 test key (openssl genpkey), read through the PEM path the key loaders use.
    auto p384 = crypto::EcPrivateKey::from_pem(
        "-----BEGIN PRIVATE KEY-----\n"
        "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBoRp95mpiLQzf1jxYv\n"
        "3ZGtlMq12CfxSG6xnMVsDxzxEB/OswGBdWCJlUBkBYy2UyqhZANiAATpuMwRBx5r\n"
        "ld1rkebVjRGfCzzldvBkDpNjOHT+B6m5MQsUm0mh3Uyj6uRH36r/1zuFfol8EnXf\n"
        "+iyXYjSbbx2aZrzIGRfUovu/0f2bZDiIFBCFiEs7TkBr6RlyhIGlaQg=\n"
        "-----END PRIVATE KEY-----\n",
        "test key");
    CHECK_THROWS_WITH(crypto::spki_to_point(p384.public_key_spki()), Catch::Contains("not P-256"));
}
