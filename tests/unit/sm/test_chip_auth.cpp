// The terminal side of Chip Authentication (lib/src/sm/chip_auth.cpp, Doc 9303 Part 11 6.2) against
// a chip written here with OpenSSL's own ECDH on brainpoolP256r1 (EVP_PKEY_derive, not our
// crypto/pace.hpp) and the Part 11 9.7.1 / 9.8.6.2 formulas spelled out: the session keys our
// terminal derives must open the chip's secure messaging.
#include <catch2/catch.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/sm/chip_auth.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "support/openssl_ecdh.hpp"

using namespace docketcard;

namespace {

const Bytes kEfCom = from_hex("60145F0104303130365F36063034303030305C026175");

apdu::ResponseApdu sw(std::uint16_t v, Bytes data = {}) {
    append(data, Bytes{static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    return apdu::ResponseApdu::parse(data);
}

class OpenSslCaChip : public transport::CardChannel {
public:
    OpenSslCaChip() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "brainpoolP256r1")) {
        REQUIRE(key_);
        unsigned char pub[65];
        std::size_t n = 0;
        REQUIRE(EVP_PKEY_get_octet_string_param(key_, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &n) == 1);
        public_point.assign(pub, pub + n);
    }
    ~OpenSslCaChip() override { EVP_PKEY_free(key_); }

    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        if (c.cla == 0x00 && c.ins == 0x22) {
            selected_ = c.p1 == 0x41 && c.p2 == 0xA4 && c.data == from_hex("800A04007F00070202030202");
            return sw(selected_ ? 0x9000 : 0x6A88);
        }
        if (c.cla == 0x00 && c.ins == 0x86 && selected_) {
            const auto outer = tlv::parse_single(c.data);
            const auto pk = tlv::parse_single(outer.value);
            REQUIRE(outer.tag == 0x7C);
            REQUIRE(pk.tag == 0x80);
            const Bytes k = derive(Bytes(pk.value.begin(), pk.value.end()));
            const Bytes enc = crypto::sha1(concat({k, from_hex("00000001")}));
            const Bytes mac = crypto::sha1(concat({k, from_hex("00000002")}));
            ks_enc_.assign(enc.begin(), enc.begin() + 16);
            ks_mac_.assign(mac.begin(), mac.begin() + 16);
            return sw(0x9000, from_hex("7C00"));
        }
        if (c.cla == 0x0C && !ks_enc_.empty()) return secure(c);
        return sw(0x6982);
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "OpenSSL CA chip"; }

    Bytes public_point;

private:
    Bytes derive(const Bytes& peer_point) { return testing::openssl_ecdh_secret(key_, peer_point); }
    void bump() {
        for (auto it = ssc_.rbegin(); it != ssc_.rend() && ++*it == 0; ++it) {
        }
    }
    Bytes mac(const Bytes& in) const {
        const Bytes full = crypto::aes_cmac(ks_mac_, crypto::pad_m2(concat({ssc_, in}), 16));
        return Bytes(full.begin(), full.begin() + 8);
    }
    Bytes iv() const { return crypto::aes_ecb_encrypt(ks_enc_, ssc_); }

    apdu::ResponseApdu secure(const apdu::CommandApdu& c) {
        bump();
        Bytes covered = crypto::pad_m2(Bytes{c.cla, c.ins, c.p1, c.p2}, 16), cryptogram, m;
        std::size_t le = 0;
        tlv::Reader r(c.data);
        while (!r.empty()) {
            const auto o = r.next();
            if (o.tag == 0x8E) {
                m.assign(o.value.begin(), o.value.end());
                continue;
            }
            append(covered, o.raw);
            if (o.tag == 0x87) cryptogram.assign(o.value.begin() + 1, o.value.end());
            if (o.tag == 0x97) le = o.value[0] == 0 ? 256 : o.value[0];
        }
        REQUIRE(m == mac(covered));
        const Bytes data = cryptogram.empty() ? Bytes{} : crypto::unpad_m2(crypto::aes_cbc_decrypt(ks_enc_, iv(), cryptogram));
        Bytes answer;
        std::uint16_t status = 0x9000;
        if (c.ins == 0xA4) status = data == from_hex("011E") ? 0x9000 : 0x6A82;
        if (c.ins == 0xB0) {
            const std::size_t off = static_cast<std::size_t>((c.p1 << 8) | c.p2);
            const std::size_t n = std::min(le, kEfCom.size() - std::min(off, kEfCom.size()));
            answer.assign(kEfCom.begin() + static_cast<std::ptrdiff_t>(off), kEfCom.begin() + static_cast<std::ptrdiff_t>(off + n));
            if (n < le) status = 0x6282;
        }
        bump();
        Bytes body;
        if (!answer.empty()) {
            Bytes v{0x01};
            append(v, crypto::aes_cbc_encrypt(ks_enc_, iv(), crypto::pad_m2(answer, 16)));
            tlv::append(body, 0x87, v);
        }
        tlv::append(body, 0x99, Bytes{static_cast<std::uint8_t>(status >> 8), static_cast<std::uint8_t>(status)});
        tlv::append(body, 0x8E, mac(body));
        return sw(status, body);
    }

    EVP_PKEY* key_;
    bool selected_ = false;
    Bytes ks_enc_, ks_mac_, ssc_ = Bytes(16, 0x00);
};

}  // namespace

TEST_CASE("Chip Authentication terminal against a chip keyed by OpenSSL's ECDH", "[sm][ca]") {
    OpenSslCaChip chip;
    auto channel = sm::perform_chip_authentication(chip, chip, {crypto::pace::Protocol::CaEcdhAes128,
                                                                crypto::pace::DomainId::BrainpoolP256r1,
                                                                chip.public_point, std::nullopt},
                                                   crypto::system_random());
    CHECK(iso7816::read_ef(channel, 0x011E) == kEfCom);
}

TEST_CASE("Chip Authentication: a DG14 key off the curve or a refused MSE:Set AT", "[sm][ca]") {
    OpenSslCaChip chip;
    Bytes bad = chip.public_point;
    bad.back() ^= 0x01;
    CHECK_THROWS_AS(sm::perform_chip_authentication(chip, chip, {crypto::pace::Protocol::CaEcdhAes128,
                                                                 crypto::pace::DomainId::BrainpoolP256r1, bad, std::nullopt},
                                                    crypto::system_random()),
                    ParseError);
    try {
        sm::perform_chip_authentication(chip, chip, {crypto::pace::Protocol::CaEcdhAes256,
                                                     crypto::pace::DomainId::BrainpoolP256r1, chip.public_point, std::nullopt},
                                        crypto::system_random());
        FAIL("MSE:Set AT with another protocol was accepted");
    } catch (const CardError& e) {
        CHECK(e.status_word() == 0x6A88);
        CHECK(std::string(e.what()) == "Chip Authentication: MSE:Set AT refused with 6A88 (referenced data or reference data not found)");
    }
}
