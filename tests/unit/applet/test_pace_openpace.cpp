// The card side of PACE (applets/src/applet_pace.cpp) and of Chip Authentication (applet_ca.cpp)
// against code that is not ours. PACE: OpenPACE's terminal code (Debian
// libeac, BSI TR-03110 reference implementation): EF.CardAccess read in the clear and parsed by
// OpenPACE, MSE:Set AT, the four GENERAL AUTHENTICATE steps computed by OpenPACE (PACE_STEP2_dec_nonce
// ... PACE_STEP3D_verify_authentication_token), then AES secure messaging built with OpenPACE's
// EAC_encrypt / EAC_authenticate. Neither side of the exchange is our own terminal code.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "support/openpace.hpp"
#include "support/openssl_ecdh.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

using namespace dc_test;
namespace op = docketcard::testing::openpace;

namespace {

const std::string kEfCom = "60145F0104303130365F36063034303030305C026175";
// SET { PACEInfo { id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, parameterId 13 } } (Part 11 9.2.1).
const std::string kCardAccess = "3114301206" "0A04007F00070202040202" "020102" "02010D";
const std::string kOid = "04007F00070202040202";
const std::string kCan = "123456";
// A TD1 MRZ with the document number, dates and check digits of Appendix D (OpenPACE's PACE_MRZ
// takes the printed MRZ and derives the MRZ information from it, Part 11 9.7.3).
const std::string kTd1 = "I<UTOL898902C<3<<<<<<<<<<<<<<<" "6908061F9406236UTO<<<<<<<<<<<2" "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

// The CA public key of the last card made by pace_card().
Bytes& ca_point() {
    static Bytes p;
    return p;
}
std::unique_ptr<Card> pace_card(bool pace_only = false) {
    applet::CardOptions o;
    o.random_seed = 7;
    auto card = Card::in_memory(o);
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    REQUIRE(scp.send("80DA0068045449434B").sw.value() == 0x9000);
    REQUIRE(scp.send(apdu::CommandApdu(0x80, 0xDA, 0x00, 0x62, from_hex(bac_secret_hex("L898902C<", "690806", "940623"))))
                .sw.value() == 0x9000);
    REQUIRE(scp.send(apdu::CommandApdu(0x80, 0xDA, 0x00, 0x65, to_bytes(kCan))).sw.value() == 0x9000);
    if (pace_only) REQUIRE(scp.send("80DA00670101").sw.value() == 0x9000);
    const auto ca = scp.send(apdu::CommandApdu(0x80, 0x47, 0x82, 0x00, {}, 256));
    REQUIRE(ca.sw.value() == 0x9000);
    const ByteView point = tlv::find(tlv::parse_single(ca.data).value, 0x86)->value;
    ca_point().assign(point.begin(), point.end());
    write_ef(scp, 0x011E, from_hex(kEfCom));
    write_ef(scp, 0x011C, from_hex(kCardAccess));
    REQUIRE(tx(*card, "00A4040C07A0000002471001") == "9000");
    return card;
}

apdu::ResponseApdu send(Card& card, const apdu::CommandApdu& c) { return apdu::ResponseApdu::parse(card.process(c.encode())); }

Bytes dynamic(const apdu::ResponseApdu& r, tlv::Tag tag) {
    const auto outer = tlv::parse_single(r.data);
    REQUIRE(outer.tag == 0x7C);
    const auto inner = tlv::parse_single(outer.value);
    REQUIRE(inner.tag == tag);
    return Bytes(inner.value.begin(), inner.value.end());
}

apdu::CommandApdu ga(tlv::Tag tag, const Bytes& value, bool last) {
    return apdu::CommandApdu(last ? 0x00 : 0x10, 0x86, 0x00, 0x00,
                             tag == 0 ? tlv::encode(0x7C, Bytes{}) : tlv::encode(0x7C, tlv::encode(tag, value)), 256);
}

// OpenPACE as the terminal: returns the status word of the last step (and leaves `ctx` keyed).
std::uint16_t openpace_terminal(Card& card, EAC_CTX* ctx, const std::string& secret, s_type type, std::uint8_t ref) {
    op::Sec sec(PACE_SEC_new(secret.data(), secret.size(), type));
    REQUIRE(sec);
    const Bytes mse = concat({tlv::encode(0x80, from_hex(kOid)), tlv::encode(0x83, Bytes{ref}), tlv::encode(0x84, Bytes{0x0D})});
    REQUIRE(send(card, apdu::CommandApdu(0x00, 0x22, 0xC1, 0xA4, mse)).sw.value() == 0x9000);

    const auto r1 = send(card, ga(0, {}, false));
    REQUIRE(r1.sw.value() == 0x9000);
    REQUIRE(PACE_STEP2_dec_nonce(ctx, sec.get(), op::buf(dynamic(r1, 0x80)).get()) == 1);

    const Bytes map_ifd = op::take(PACE_STEP3A_generate_mapping_data(ctx));
    const auto r2 = send(card, ga(0x81, map_ifd, false));
    REQUIRE(r2.sw.value() == 0x9000);
    REQUIRE(PACE_STEP3A_map_generator(ctx, op::buf(dynamic(r2, 0x82)).get()) == 1);

    const Bytes eph_ifd = op::take(PACE_STEP3B_generate_ephemeral_key(ctx));
    const auto r3 = send(card, ga(0x83, eph_ifd, false));
    REQUIRE(r3.sw.value() == 0x9000);
    const Bytes eph_ic = dynamic(r3, 0x84);
    REQUIRE(PACE_STEP3B_compute_shared_secret(ctx, op::buf(eph_ic).get()) == 1);
    REQUIRE(PACE_STEP3C_derive_keys(ctx) == 1);

    const Bytes token = op::take(PACE_STEP3D_compute_authentication_token(ctx, op::buf(eph_ic).get()));
    const auto r4 = send(card, ga(0x85, token, true));
    if (!r4.ok()) return r4.sw.value();
    REQUIRE(PACE_STEP3D_verify_authentication_token(ctx, op::buf(dynamic(r4, 0x86)).get()) == 1);
    return r4.sw.value();
}

// One command under AES secure messaging built with OpenPACE (Part 11 9.8; TR-03110-3 F.2).
apdu::ResponseApdu openpace_sm(Card& card, EAC_CTX* ctx, const apdu::CommandApdu& plain) {
    REQUIRE(EAC_increment_ssc(ctx) == 1);
    const Bytes header{0x0C, plain.ins, plain.p1, plain.p2};
    Bytes dos;
    if (!plain.data.empty()) {
        const Bytes enc = op::take(EAC_encrypt(ctx, op::buf(crypto::pad_m2(plain.data, 16)).get()));
        Bytes v{0x01};
        append(v, enc);
        tlv::append(dos, 0x87, v);
    }
    if (plain.le) tlv::append(dos, 0x97, Bytes{static_cast<std::uint8_t>(*plain.le == 256 ? 0 : *plain.le)});
    const Bytes mac = op::take(EAC_authenticate(ctx, op::buf(crypto::pad_m2(concat({crypto::pad_m2(header, 16), dos}), 16)).get()));
    REQUIRE(mac.size() == 8);
    Bytes data = dos;
    tlv::append(data, 0x8E, mac);
    const auto r = send(card, apdu::CommandApdu(0x0C, plain.ins, plain.p1, plain.p2, data, 256));
    REQUIRE(EAC_increment_ssc(ctx) == 1);
    // Response: [DO87] DO99 DO8E; the MAC covers DO87 || DO99.
    tlv::Reader rd(r.data);
    Bytes covered, cryptogram, rmac;
    while (!rd.empty()) {
        const auto o = rd.next();
        if (o.tag == 0x8E) rmac.assign(o.value.begin(), o.value.end());
        else append(covered, o.raw);
        if (o.tag == 0x87) cryptogram.assign(o.value.begin() + 1, o.value.end());
    }
    REQUIRE(EAC_verify_authentication(ctx, op::buf(crypto::pad_m2(covered, 16)).get(), op::buf(rmac).get()) == 1);
    apdu::ResponseApdu plain_r;
    plain_r.sw = r.sw;
    if (!cryptogram.empty()) plain_r.data = crypto::unpad_m2(op::take(EAC_decrypt(ctx, op::buf(cryptogram).get())));
    return plain_r;
}

}  // namespace

TEST_CASE("EF.CardAccess is read in the clear and OpenPACE accepts it", "[applet][pace]") {
    auto card = pace_card();
    CHECK(tx(*card, "00A4020C02011C") == "9000");
    CHECK(tx(*card, "00B0000016") == kCardAccess + "9000");
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    CHECK(ctx);
    // Other files stay behind PACE or BAC.
    CHECK(tx(*card, "00A4020C02011E") == "6982");
}

TEST_CASE("PACE-CAN: the card against OpenPACE's terminal, then AES secure messaging", "[applet][pace][openpace]") {
    auto card = pace_card();
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    REQUIRE(openpace_terminal(*card, ctx.get(), kCan, PACE_CAN, 0x02) == 0x9000);
    REQUIRE(EAC_CTX_set_encryption_ctx(ctx.get(), EAC_ID_PACE) == 1);
    REQUIRE(EAC_reset_ssc(ctx.get()) == 1);
    CHECK(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0xA4, 0x02, 0x0C, from_hex("011E"))).sw.value() == 0x9000);
    const auto rb = openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 0x16));
    CHECK(rb.sw.value() == 0x9000);
    CHECK(to_hex(rb.data) == kEfCom);
    // A protected SELECT of the application keeps the session (Part 11 4.2).
    CHECK(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"))).sw.value() ==
          0x9000);
}

TEST_CASE("PACE-MRZ: the card against OpenPACE's terminal", "[applet][pace][openpace]") {
    auto card = pace_card();
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    REQUIRE(openpace_terminal(*card, ctx.get(), kTd1, PACE_MRZ, 0x01) == 0x9000);
}

TEST_CASE("PACE-CAN: a wrong CAN is 63Cx, counted; the 10th blocks the CAN, the MRZ unblocks it",
          "[applet][pace][openpace]") {
    auto card = pace_card();
    for (int i = 1; i <= 10; ++i) {
        op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
        CHECK(openpace_terminal(*card, ctx.get(), "654321", PACE_CAN, 0x02) == 0x63C0 + (10 - i));
    }
    const Bytes mse = concat({tlv::encode(0x80, from_hex(kOid)), tlv::encode(0x83, Bytes{0x02})});
    CHECK(send(*card, apdu::CommandApdu(0x00, 0x22, 0xC1, 0xA4, mse)).sw.value() == 0x6983);
    {
        op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
        REQUIRE(openpace_terminal(*card, ctx.get(), kTd1, PACE_MRZ, 0x01) == 0x9000);
    }
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    CHECK(openpace_terminal(*card, ctx.get(), kCan, PACE_CAN, 0x02) == 0x9000);
}

TEST_CASE("PACE: steps out of order and malformed data are refused", "[applet][pace]") {
    auto card = pace_card();
    CHECK(tx(*card, "108600000" "27C0000") == "6985");  // no MSE:Set AT
    const std::string mse = "0022C1A40F800A" + kOid + "830102";
    CHECK(tx(*card, mse) == "9000");
    CHECK(tx(*card, "008600000" "27C0000") == "6985");  // step 1 without chaining
    CHECK(tx(*card, mse) == "9000");
    CHECK(tx(*card, "10860000027D0000") == "6A80");     // not 7C
    CHECK(tx(*card, mse) == "9000");
    CHECK(sw_of(*card, "10860000027C0000") == "9000");
    CHECK(tx(*card, "10860000457C4381410400" + std::string(126, '0') + "00") == "6A80");  // not on the curve
    CHECK(tx(*card, "0022C1A40F800A04007F00070202040203830102") == "6A88");  // unknown protocol
    CHECK(tx(*card, "0022C1A40F800A" + kOid + "830103") == "6A88");          // PIN: none
}

TEST_CASE("A PACE-only card refuses BAC with 6982", "[applet][pace]") {
    auto card = pace_card(true);
    CHECK(tx(*card, "0084000008") == "6982");
    CHECK(tx(*card, "0082000028" + std::string(80, '0') + "28") == "6982");
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    CHECK(openpace_terminal(*card, ctx.get(), kCan, PACE_CAN, 0x02) == 0x9000);
}

namespace {

// The terminal's half of Chip Authentication's key agreement with OpenSSL's own ECDH on
// brainpoolP256r1 (not our crypto/pace.hpp): returns {PK_DH,IFD, x(SK_DH,IFD * PK_IC)}.
std::pair<Bytes, Bytes> openssl_ecdh(const Bytes& chip_point) {
    EVP_PKEY* mine = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "brainpoolP256r1");
    REQUIRE(mine);
    unsigned char pub[65];
    std::size_t pub_len = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(mine, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &pub_len) == 1);
    const Bytes secret = testing::openssl_ecdh_secret(mine, chip_point);
    EVP_PKEY_free(mine);
    return {Bytes(pub, pub + pub_len), secret};
}

// Part 11 9.8 AES secure messaging written out for the test (IV = E(KSenc, SSC), CMAC, 16-byte SSC).
struct TestAesSm {
    Bytes ks_enc, ks_mac, ssc = Bytes(16, 0x00);
    void bump() {
        for (auto it = ssc.rbegin(); it != ssc.rend() && ++*it == 0; ++it) {
        }
    }
    Bytes mac(const Bytes& in) const {
        const Bytes full = crypto::aes_cmac(ks_mac, crypto::pad_m2(concat({ssc, in}), 16));
        return Bytes(full.begin(), full.begin() + 8);
    }
    apdu::ResponseApdu send(Card& card, const apdu::CommandApdu& plain) {
        bump();
        Bytes dos;
        if (!plain.data.empty()) {
            Bytes v{0x01};
            append(v, crypto::aes_cbc_encrypt(ks_enc, crypto::aes_ecb_encrypt(ks_enc, ssc), crypto::pad_m2(plain.data, 16)));
            tlv::append(dos, 0x87, v);
        }
        if (plain.le) tlv::append(dos, 0x97, Bytes{static_cast<std::uint8_t>(*plain.le == 256 ? 0 : *plain.le)});
        Bytes data = dos;
        tlv::append(data, 0x8E, mac(concat({crypto::pad_m2(Bytes{0x0C, plain.ins, plain.p1, plain.p2}, 16), dos})));
        const auto r = apdu::ResponseApdu::parse(card.process(apdu::CommandApdu(0x0C, plain.ins, plain.p1, plain.p2, data, 256).encode()));
        bump();
        Bytes covered, cryptogram, rmac;
        tlv::Reader rd(r.data);
        while (!rd.empty()) {
            const auto o = rd.next();
            if (o.tag == 0x8E) rmac.assign(o.value.begin(), o.value.end());
            else append(covered, o.raw);
            if (o.tag == 0x87) cryptogram.assign(o.value.begin() + 1, o.value.end());
        }
        REQUIRE(rmac == mac(covered));
        apdu::ResponseApdu out;
        out.sw = r.sw;
        if (!cryptogram.empty())
            out.data = crypto::unpad_m2(crypto::aes_cbc_decrypt(ks_enc, crypto::aes_ecb_encrypt(ks_enc, ssc), cryptogram));
        return out;
    }
};

const std::string kCaOid = "04007F00070202030202";   // id-CA-ECDH-AES-CBC-CMAC-128

}  // namespace

TEST_CASE("Chip Authentication after PACE (OpenPACE's SM, OpenSSL's ECDH): the session restarts under the CA keys",
          "[applet][ca]") {
    auto card = pace_card();
    REQUIRE(ca_point().size() == 65);
    op::Ctx ctx = op::context_from_card_access(from_hex(kCardAccess));
    REQUIRE(openpace_terminal(*card, ctx.get(), kCan, PACE_CAN, 0x02) == 0x9000);
    REQUIRE(EAC_CTX_set_encryption_ctx(ctx.get(), EAC_ID_PACE) == 1);
    REQUIRE(EAC_reset_ssc(ctx.get()) == 1);
    // Another protocol or key id: 6A88; a point off the curve: 6A80; both keep the PACE session.
    CHECK(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x22, 0x41, 0xA4, from_hex("800A04007F00070202030204")))
              .sw.value() == 0x6A88);
    CHECK(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x22, 0x41, 0xA4, from_hex("800A" + kCaOid + "840102")))
              .sw.value() == 0x6A88);
    REQUIRE(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x22, 0x41, 0xA4, from_hex("800A" + kCaOid))).sw.value() ==
            0x9000);
    CHECK(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x86, 0x00, 0x00, from_hex("7C438041" "04" + std::string(128, '1')), 256))
              .sw.value() == 0x6A80);
    REQUIRE(openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x22, 0x41, 0xA4, from_hex("800A" + kCaOid))).sw.value() ==
            0x9000);
    const auto [pk, k] = openssl_ecdh(ca_point());
    const auto ga = openpace_sm(*card, ctx.get(), apdu::CommandApdu(0x00, 0x86, 0x00, 0x00, tlv::encode(0x7C, tlv::encode(0x80, pk)), 256));
    REQUIRE(ga.sw.value() == 0x9000);
    CHECK(to_hex(ga.data) == "7C00");
    // Part 11 9.7.1: KSenc = SHA-1(K || 00000001)[0..16], KSmac = SHA-1(K || 00000002)[0..16].
    TestAesSm ca;
    const Bytes enc = crypto::sha1(concat({k, from_hex("00000001")})), mac = crypto::sha1(concat({k, from_hex("00000002")}));
    ca.ks_enc.assign(enc.begin(), enc.begin() + 16);
    ca.ks_mac.assign(mac.begin(), mac.begin() + 16);
    CHECK(ca.send(*card, apdu::CommandApdu(0x00, 0xA4, 0x02, 0x0C, from_hex("011E"))).sw.value() == 0x9000);
    const auto rb = ca.send(*card, apdu::CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 0x16));
    CHECK(rb.sw.value() == 0x9000);
    CHECK(to_hex(rb.data) == kEfCom);
    // READ CA PUBLIC KEY is personalization only: not on the read side.
    CHECK(tx(*card, "0C478300") == "6988");
}
