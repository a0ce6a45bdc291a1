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

namespace dc_test {

/// Host side of BAC (Doc 9303 Part 11 9.7) and its secure messaging (9.8), 3DES.
class BacHost {
public:
    explicit BacHost(Card& card) : card_(card) {}

    /// GET CHALLENGE + MUTUAL AUTHENTICATE with fixed RND.IFD / K.IFD; returns the MUTUAL
    /// AUTHENTICATE status word.
    std::uint16_t open(const std::string& mrz_info, const std::string& rnd_ifd_hex = "781723860C06C226",
                       const std::string& k_ifd_hex = "0B795240CB7049B01C19B33E32804F0B") {
        const auto seed = crypto::bac_seed(mrz_info);
        const auto k_enc = crypto::icao_kdf_3des(view(seed), 1);
        const auto k_mac = crypto::icao_kdf_3des(view(seed), 2);
        const auto gc = apdu::ResponseApdu::parse(card_.process(from_hex("0084000008")));
        if (!gc.ok()) return gc.sw.value();
        const Bytes rnd_ifd = from_hex(rnd_ifd_hex), k_ifd = from_hex(k_ifd_hex);
        const Bytes e_ifd = crypto::des3_cbc_encrypt(view(k_enc), Bytes(8, 0), concat({rnd_ifd, gc.data, k_ifd}));
        const Bytes m_ifd = crypto::retail_mac(view(k_mac), crypto::pad_m2(e_ifd, 8));
        const auto ma = apdu::ResponseApdu::parse(card_.process(
            apdu::CommandApdu(0x00, 0x82, 0x00, 0x00, concat({e_ifd, m_ifd}), 40).encode()));
        if (!ma.ok()) return ma.sw.value();
        const Bytes r = crypto::des3_cbc_decrypt(view(k_enc), Bytes(8, 0), ByteView(ma.data).first(32));
        Bytes seed2(16);
        for (std::size_t i = 0; i < 16; ++i) seed2[i] = static_cast<std::uint8_t>(k_ifd[i] ^ r[16 + i]);
        ks_enc_ = crypto::icao_kdf_3des(seed2, 1);
        ks_mac_ = crypto::icao_kdf_3des(seed2, 2);
        ssc_ = 0;
        for (std::size_t i = 4; i < 8; ++i) ssc_ = (ssc_ << 8) | gc.data[i];
        for (std::size_t i = 4; i < 8; ++i) ssc_ = (ssc_ << 8) | rnd_ifd[i];
        return ma.sw.value();
    }

    /// Protects a plain command (CLA 00), sends it, checks the response MAC, decrypts.
    apdu::ResponseApdu send(const apdu::CommandApdu& plain) {
        const bool odd = plain.ins & 1;
        Bytes dos;
        if (!plain.data.empty()) {
            Bytes v;
            if (!odd) v.push_back(0x01);
            append(v, crypto::des3_cbc_encrypt(view(ks_enc_), Bytes(8, 0), crypto::pad_m2(plain.data, 8)));
            tlv::append(dos, odd ? 0x85 : 0x87, v);
        }
        if (plain.le) tlv::append(dos, 0x97, Bytes{static_cast<std::uint8_t>(*plain.le == 256 ? 0 : *plain.le)});
        ++ssc_;
        Bytes n = ssc();
        append(n, crypto::pad_m2(Bytes{0x0C, plain.ins, plain.p1, plain.p2}, 8));
        append(n, dos);
        tlv::append(dos, 0x8E, crypto::retail_mac(view(ks_mac_), crypto::pad_m2(n, 8)));
        const auto r = apdu::ResponseApdu::parse(
            card_.process(apdu::CommandApdu(0x0C, plain.ins, plain.p1, plain.p2, dos, 256).encode()));
        if (r.data.empty()) return r;
        ++ssc_;
        tlv::Reader rd(r.data);
        Bytes k = ssc(), out;
        apdu::ResponseApdu plain_r;
        plain_r.sw = r.sw;
        while (!rd.empty()) {
            const auto o = rd.next();
            if (o.tag == 0x8E) {
                if (!equal_ct(crypto::retail_mac(view(ks_mac_), crypto::pad_m2(k, 8)), o.value)) {
                    throw std::runtime_error("bad response MAC");
                }
                break;
            }
            append(k, o.raw);
            if (o.tag == 0x87 || o.tag == 0x85) {
                const ByteView c = o.tag == 0x87 ? o.value.subspan(1) : o.value;
                plain_r.data = crypto::unpad_m2(crypto::des3_cbc_decrypt(view(ks_enc_), Bytes(8, 0), c));
            }
        }
        return plain_r;
    }
    apdu::ResponseApdu send(const std::string& plain_hex) { return send(apdu::CommandApdu::parse(from_hex(plain_hex))); }

private:
    Bytes ssc() const {
        Bytes b;
        for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(ssc_ >> s));
        return b;
    }
    Card& card_;
    SecureBytes ks_enc_, ks_mac_;
    std::uint64_t ssc_ = 0;
};

/// PUT DATA 62 body for a BAC secret (JMRTD layout).
inline std::string bac_secret_hex(const std::string& docno, const std::string& dob, const std::string& doe) {
    const Bytes inner = concat({tlv::encode(0x04, to_bytes(docno)), tlv::encode(0x04, to_bytes(dob)),
                                tlv::encode(0x04, to_bytes(doe))});
    return to_hex(tlv::encode(0x62, inner));
}

/// Creates, selects and fully writes one EF inside an open SCP03 session (all 9000 expected).
inline void write_ef(ScpHost& scp, std::uint16_t fid, const Bytes& content) {
    Bytes create{0x63, 0x04};
    put_u16(create, static_cast<std::uint16_t>(content.size()));
    put_u16(create, fid);
    if (scp.send(apdu::CommandApdu(0x80, 0xE0, 0, 0, create)).sw.value() != 0x9000) throw std::runtime_error("CREATE FILE");
    Bytes f;
    put_u16(f, fid);
    if (scp.send(apdu::CommandApdu(0x80, 0xA4, 0x02, 0x0C, f)).sw.value() != 0x9000) throw std::runtime_error("SELECT");
    for (std::size_t off = 0; off < content.size(); off += 200) {
        const std::size_t n = std::min<std::size_t>(200, content.size() - off);
        const Bytes part(content.begin() + static_cast<std::ptrdiff_t>(off), content.begin() + static_cast<std::ptrdiff_t>(off + n));
        if (scp.send(apdu::CommandApdu(0x80, 0xD6, static_cast<std::uint8_t>(off >> 8), static_cast<std::uint8_t>(off), part))
                .sw.value() != 0x9000) {
            throw std::runtime_error("UPDATE BINARY");
        }
    }
}

}  // namespace dc_test
