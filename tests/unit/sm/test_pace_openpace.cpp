// The terminal side of PACE (lib/src/sm/pace.cpp) and its AES secure messaging against OpenPACE's
// card code (Debian libeac): a chip whose every PACE step is OpenPACE's (PACE_STEP1_enc_nonce,
// PACE_STEP3A/3B/3C, PACE_STEP3D_verify_authentication_token) and whose secure messaging is
// OpenPACE's EAC_encrypt / EAC_decrypt / EAC_authenticate. Our card emulation plays no part.
#include <catch2/catch.hpp>

#include <map>

#include "docketcard/iso7816/files.hpp"
#include "docketcard/sm/pace.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"
#include "support/openpace.hpp"

using namespace docketcard;
namespace op = docketcard::testing::openpace;
namespace pace = crypto::pace;

namespace {

const Bytes kCardAccess = from_hex("3114301206" "0A04007F00070202040202" "020102" "02010D");
const Bytes kEfCom = from_hex("60145F0104303130365F36063034303030305C026175");

apdu::ResponseApdu sw(std::uint16_t v, Bytes data = {}) {
    append(data, Bytes{static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    return apdu::ResponseApdu::parse(data);
}

Bytes dyn(tlv::Tag tag, ByteView v) { return tlv::encode(0x7C, tlv::encode(tag, v)); }

// A chip made of OpenPACE: PACE with one password, then SELECT EF / READ BINARY under SM.
class OpenPaceChip : public transport::CardChannel {
public:
    OpenPaceChip(std::string password, s_type type)
        : ctx_(op::context_from_card_access(kCardAccess)), sec_(PACE_SEC_new(password.data(), password.size(), type)) {}

    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        if (c.cla == 0x00 && c.ins == 0x22) {
            step_ = 1;
            return sw(0x9000);
        }
        if ((c.cla & ~0x10) == 0x00 && c.ins == 0x86) return ga(c);
        if (c.cla == 0x0C && keyed_) return secure(c);
        return sw(0x6982);
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "OpenPACE chip"; }

    bool keyed_ = false;

private:
    apdu::ResponseApdu ga(const apdu::CommandApdu& c) {
        const auto outer = tlv::parse_single(c.data);
        const Bytes in = outer.value.empty() ? Bytes{} : Bytes(tlv::parse_single(outer.value).value.begin(),
                                                               tlv::parse_single(outer.value).value.end());
        switch (step_++) {
            case 1: return sw(0x9000, dyn(0x80, op::take(PACE_STEP1_enc_nonce(ctx_.get(), sec_.get()))));
            case 2: {
                const Bytes mine = op::take(PACE_STEP3A_generate_mapping_data(ctx_.get()));
                REQUIRE(PACE_STEP3A_map_generator(ctx_.get(), op::buf(in).get()) == 1);
                return sw(0x9000, dyn(0x82, mine));
            }
            case 3: {
                const Bytes mine = op::take(PACE_STEP3B_generate_ephemeral_key(ctx_.get()));
                REQUIRE(PACE_STEP3B_compute_shared_secret(ctx_.get(), op::buf(in).get()) == 1);
                REQUIRE(PACE_STEP3C_derive_keys(ctx_.get()) == 1);
                eph_ifd_ = in;
                return sw(0x9000, dyn(0x84, mine));
            }
            default: {
                if (PACE_STEP3D_verify_authentication_token(ctx_.get(), op::buf(in).get()) != 1) return sw(0x63C2);
                const Bytes token = op::take(PACE_STEP3D_compute_authentication_token(ctx_.get(), op::buf(eph_ifd_).get()));
                REQUIRE(EAC_CTX_set_encryption_ctx(ctx_.get(), EAC_ID_PACE) == 1);
                REQUIRE(EAC_reset_ssc(ctx_.get()) == 1);
                keyed_ = true;
                return sw(0x9000, dyn(0x86, token));
            }
        }
    }

    // Part 11 9.8 with OpenPACE's primitives: check DO8E, decrypt DO87, answer DO87 DO99 DO8E.
    apdu::ResponseApdu secure(const apdu::CommandApdu& c) {
        REQUIRE(EAC_increment_ssc(ctx_.get()) == 1);
        Bytes covered = crypto::pad_m2(Bytes{c.cla, c.ins, c.p1, c.p2}, 16), cryptogram, mac;
        std::optional<std::size_t> le;
        tlv::Reader r(c.data);
        while (!r.empty()) {
            const auto o = r.next();
            if (o.tag == 0x8E) {
                mac.assign(o.value.begin(), o.value.end());
                continue;
            }
            append(covered, o.raw);
            if (o.tag == 0x87) cryptogram.assign(o.value.begin() + 1, o.value.end());
            if (o.tag == 0x97) le = o.value.size() == 1 ? (o.value[0] == 0 ? 256 : o.value[0]) : get_u16(o.value, 0);
        }
        REQUIRE(EAC_verify_authentication(ctx_.get(), op::buf(crypto::pad_m2(covered, 16)).get(), op::buf(mac).get()) == 1);
        const Bytes data =
            cryptogram.empty() ? Bytes{} : crypto::unpad_m2(op::take(EAC_decrypt(ctx_.get(), op::buf(cryptogram).get())));
        Bytes answer;
        std::uint16_t status = 0x9000;
        if (c.ins == 0xA4) {
            status = data == from_hex("011E") ? 0x9000 : 0x6A82;
        } else if (c.ins == 0xB0) {
            const std::size_t off = static_cast<std::size_t>((c.p1 << 8) | c.p2);
            const std::size_t n = std::min<std::size_t>(le.value_or(0), off < kEfCom.size() ? kEfCom.size() - off : 0);
            answer.assign(kEfCom.begin() + static_cast<std::ptrdiff_t>(std::min(off, kEfCom.size())),
                          kEfCom.begin() + static_cast<std::ptrdiff_t>(std::min(off, kEfCom.size()) + n));
            if (n < le.value_or(0)) status = 0x6282;
        }
        REQUIRE(EAC_increment_ssc(ctx_.get()) == 1);
        Bytes body;
        if (!answer.empty()) {
            Bytes v{0x01};
            append(v, op::take(EAC_encrypt(ctx_.get(), op::buf(crypto::pad_m2(answer, 16)).get())));
            tlv::append(body, 0x87, v);
        }
        tlv::append(body, 0x99, Bytes{static_cast<std::uint8_t>(status >> 8), static_cast<std::uint8_t>(status)});
        tlv::append(body, 0x8E, op::take(EAC_authenticate(ctx_.get(), op::buf(crypto::pad_m2(body, 16)).get())));
        return sw(status, body);
    }

    op::Ctx ctx_;
    op::Sec sec_;
    int step_ = 0;
    Bytes eph_ifd_;
};

}  // namespace

TEST_CASE("PACE-CAN terminal against OpenPACE's chip, then EF.COM under AES secure messaging", "[sm][pace][openpace]") {
    OpenPaceChip chip("123456", PACE_CAN);
    auto channel = sm::establish_pace(chip, {}, pace::PasswordKind::Can, "123456");
    CHECK(chip.keyed_);
    CHECK(iso7816::read_ef(channel, 0x011E) == kEfCom);
}

TEST_CASE("PACE-MRZ terminal against OpenPACE's chip", "[sm][pace][openpace]") {
    // OpenPACE takes the printed TD1 MRZ (Appendix D's number and dates) and derives the password.
    OpenPaceChip chip("I<UTOL898902C<3<<<<<<<<<<<<<<<" "6908061F9406236UTO<<<<<<<<<<<2" "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
                      PACE_MRZ);
    auto channel = sm::establish_pace(chip, {}, pace::PasswordKind::Mrz, "L898902C<369080619406236");
    CHECK(iso7816::read_ef(channel, 0x011E) == kEfCom);
}

TEST_CASE("PACE with a wrong CAN: CardError(CardRefused) naming the attempts left", "[sm][pace][openpace]") {
    OpenPaceChip chip("123456", PACE_CAN);
    try {
        sm::establish_pace(chip, {}, pace::PasswordKind::Can, "123457");
        FAIL("PACE succeeded with a wrong CAN");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x63C2);
        CHECK(std::string(e.what()) == "PACE failed: the CAN does not match the card (2 attempts left)");
        CHECK(std::string(e.what()).find("123457") == std::string::npos);
    }
}
