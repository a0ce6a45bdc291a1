// Test helpers: drive an emulated card with raw APDUs, and a minimal host side of SCP03
// (GP Amendment D) and BAC secure messaging (Doc 9303 Part 11 9.8) built from the crypto wrappers.
#pragma once

#include <filesystem>
#include <string>

#include "docketcard/applet/card.hpp"
#include "docketcard/apdu/apdu.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/tlv/tlv.hpp"

namespace dc_test {

using namespace docketcard;
using applet::Card;

/// Sends hex, returns the response as hex.
inline std::string tx(Card& card, const std::string& hex) { return to_hex(card.process(from_hex(hex))); }
/// Sends hex, returns the status word as hex.
inline std::string sw_of(Card& card, const std::string& hex) {
    const Bytes r = card.process(from_hex(hex));
    return to_hex(ByteView(r).last(2));
}

/// The card's lifecycle byte, from plain GET DATA.
inline std::uint8_t state_of(Card& card) {
    const Bytes r = card.process(from_hex("80CA006600"));
    const auto resp = apdu::ResponseApdu::parse(r);
    const auto outer = tlv::parse_single(resp.data);
    return tlv::find(outer.value, 0x80)->value[0];
}

/// A temporary directory removed at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/dc-applet-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

/// Host side of an SCP03 session.
class ScpHost {
public:
    ScpHost(Card& card, SecureBytes k_enc, SecureBytes k_mac) : card_(card), k_enc_(std::move(k_enc)), k_mac_(std::move(k_mac)) {}

    /// INITIALIZE UPDATE + EXTERNAL AUTHENTICATE; returns the EXTERNAL AUTHENTICATE status word.
    std::uint16_t open(std::uint8_t level = 0x33, const std::string& host_challenge = "0102030405060708",
                       bool corrupt_cryptogram = false) {
        const Bytes iu = card_.process(from_hex("8050000008" + host_challenge + "00"));
        const auto r = apdu::ResponseApdu::parse(iu);
        if (!r.ok()) return r.sw.value();
        const Bytes hc = from_hex(host_challenge);
        const Bytes cc(r.data.begin() + 13, r.data.begin() + 21);
        const Bytes ctx = concat({hc, cc});
        const auto bits = static_cast<std::uint16_t>(k_enc_.size() * 8);
        s_enc_ = crypto::scp03_kdf(view(k_enc_), crypto::scp03_constant::s_enc, bits, ctx);
        s_mac_ = crypto::scp03_kdf(view(k_mac_), crypto::scp03_constant::s_mac, bits, ctx);
        s_rmac_ = crypto::scp03_kdf(view(k_mac_), crypto::scp03_constant::s_rmac, bits, ctx);
        const auto card_crypto = crypto::scp03_kdf(view(s_mac_), crypto::scp03_constant::card_cryptogram, 64, ctx);
        card_cryptogram_ok = equal_ct(view(card_crypto), ByteView(r.data).subspan(21, 8));
        auto host = crypto::scp03_kdf(view(s_mac_), crypto::scp03_constant::host_cryptogram, 64, ctx);
        if (corrupt_cryptogram) host[0] ^= 1;
        level_ = level;
        chaining_ = Bytes(16, 0);
        counter_ = 1;
        apdu::CommandApdu ea(0x84, 0x82, level, 0x00, Bytes(host.begin(), host.end()));
        return transmit_raw(wrap_mac_only(ea)).sw.value();
    }

    /// Wraps (C-MAC, C-DECRYPTION), sends, verifies R-MAC and decrypts.
    apdu::ResponseApdu send(const apdu::CommandApdu& plain) {
        const std::uint64_t counter = counter_++;
        apdu::CommandApdu c = plain;
        c.cla = static_cast<std::uint8_t>(plain.cla | 0x04);
        if ((level_ & 0x02) && !plain.data.empty()) {
            const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), block(counter, false));
            c.data = crypto::aes_cbc_encrypt(view(s_enc_), iv, crypto::pad_m2(plain.data, 16));
        }
        auto r = transmit_raw(wrap_mac_only(c, true));
        if (!r.ok()) return r;
        if (level_ & 0x10) {
            if (r.data.size() < 8) throw std::runtime_error("no R-MAC");
            const Bytes body(r.data.begin(), r.data.end() - 8);
            const Bytes in = concat({chaining_, body, Bytes{r.sw.sw1(), r.sw.sw2()}});
            const Bytes mac = crypto::aes_cmac(view(s_rmac_), in);
            if (!std::equal(mac.begin(), mac.begin() + 8, r.data.end() - 8)) throw std::runtime_error("bad R-MAC");
            r.data = body;
        }
        if ((level_ & 0x20) && !r.data.empty()) {
            const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), block(counter, true));
            r.data = crypto::unpad_m2(crypto::aes_cbc_decrypt(view(s_enc_), iv, r.data));
        }
        return r;
    }
    apdu::ResponseApdu send(const std::string& plain_hex) { return send(apdu::CommandApdu::parse(from_hex(plain_hex))); }

    /// The wrapped form of a command without sending it (advances MAC chaining and counter).
    Bytes wrap(const apdu::CommandApdu& plain) {
        const std::uint64_t counter = counter_++;
        apdu::CommandApdu c = plain;
        c.cla = static_cast<std::uint8_t>(plain.cla | 0x04);
        if ((level_ & 0x02) && !plain.data.empty()) {
            const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), block(counter, false));
            c.data = crypto::aes_cbc_encrypt(view(s_enc_), iv, crypto::pad_m2(plain.data, 16));
        }
        return wrap_mac_only(c, true);
    }

    bool card_cryptogram_ok = false;

private:
    static Bytes block(std::uint64_t counter, bool response) {
        Bytes b(8, 0);
        for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(counter >> s));
        if (response) b[0] = 0x80;
        return b;
    }
    Bytes wrap_mac_only(apdu::CommandApdu c, bool keep_le = false) {
        const std::size_t lc = c.data.size() + 8;
        const bool ext = lc > 255 || (c.le && *c.le > 256);
        Bytes in = chaining_;
        append(in, Bytes{c.cla, c.ins, c.p1, c.p2});
        if (ext) {
            in.push_back(0);
            put_u16(in, static_cast<std::uint16_t>(lc));
        } else {
            in.push_back(static_cast<std::uint8_t>(lc));
        }
        append(in, c.data);
        chaining_ = crypto::aes_cmac(view(s_mac_), in);
        append(c.data, ByteView(chaining_).first(8));
        if (!keep_le) c.le.reset();
        return c.encode(ext);
    }
    apdu::ResponseApdu transmit_raw(const Bytes& raw) { return apdu::ResponseApdu::parse(card_.process(raw)); }

    Card& card_;
    SecureBytes k_enc_, k_mac_, s_enc_, s_mac_, s_rmac_;
    std::uint8_t level_ = 0x33;
    Bytes chaining_ = Bytes(16, 0);
    std::uint64_t counter_ = 1;
};

/// The diversified static keys of a card made from the sample masters.
inline SecureBytes sample_key(std::uint8_t id, ByteView serial) {
    const auto f = applet::FactoryKeys::sample();
    return crypto::diversify_kdf3(view(id == 1 ? f.master_enc : id == 2 ? f.master_mac : f.master_dek), id, serial);
}

inline ScpHost scp_for(Card& card) {
    const Bytes serial = from_hex(card.serial_hex());
    return ScpHost(card, sample_key(1, serial), sample_key(2, serial));
}

}  // namespace dc_test
