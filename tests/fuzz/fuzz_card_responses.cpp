// libFuzzer target: the terminal side's parsing of card responses. The input is one mode byte and
// then the card's answers, each a 2-byte big-endian length and that many bytes (the last one may
// be cut short), handed out in order by a scripted CardChannel. Modes:
//   0  perso::parse_card_info on the rest, then perso::read_card_info over the channel
//   1  sm::Scp03Session::open_with_static_keys (INITIALIZE UPDATE response parsing), then GET DATA
//      and read_ef through the session when it opens
//   2  sm::Scp03Session::open with master keys (KDF3 diversification with the card's KDD)
//   3  sm::perform_bac (GET CHALLENGE and MUTUAL AUTHENTICATE answers), Doc 9303 Appendix D keys
//   4  BAC secure messaging (SecureMessaging::unprotect) with the Appendix D session keys under
//      iso7816::read_ef (the D.4 answers read EF.COM)
//   5  iso7816::read_ef over the plain channel
//   6  as 4, but each answer is turned into a response whose MAC verifies: the chunk's first byte
//      chooses the layout, the rest is the plaintext (encrypted here) or a raw cryptogram, so the
//      code behind the MAC check (decryption, padding, DO99) sees fuzz bytes too
//   7  SCP03 with the GlobalPlatform vector card, which opens the session itself and then answers
//      with R-MACed (and, per the chunk's first byte, R-encrypted) fuzz data: GET DATA card info
//      parsed by perso::parse_card_info, then read_ef through the session
// Anything but a docketcard::Error escaping is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/sm/bac.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using apdu::CommandApdu;
using apdu::ResponseApdu;

namespace {

// Doc 9303 Part 11 Appendix D: MRZ information, RND.IFD || K.IFD, session keys and SSC.
constexpr const char* kMrzInformation = "L898902C<369080619406236";
constexpr const char* kBacRandom = "781723860C06C2260B795240CB7049B01C19B33E32804F0B";
constexpr const char* kKsEnc = "979EC13B1CBFE9DCD01AB0FED307EAE5";
constexpr const char* kKsMac = "F1CB1F1FB5ADF208806B89DC579DC1F8";
constexpr const char* kSsc = "887022120C06C226";

/// A card whose answers come from the fuzz input, in order; no answer left: a removed card.
class ScriptedChannel : public transport::CardChannel {
public:
    ScriptedChannel(ByteView script, bool extended) : extended_(extended) {
        while (!script.empty()) {
            std::size_t n = script[0] << 8;
            if (script.size() > 1) n |= script[1];
            script = script.subspan(std::min<std::size_t>(2, script.size()));
            n = std::min(n, script.size());
            answers_.emplace_back(script.begin(), script.begin() + static_cast<std::ptrdiff_t>(n));
            script = script.subspan(n);
        }
    }
    ResponseApdu transmit(const CommandApdu& command) override {
        (void)command.encode();
        return ResponseApdu::parse(next());
    }
    transport::Capabilities capabilities() const override {
        if (extended_) return {true, 2048, 2048};
        return {};
    }
    Bytes atr() const override { return {0x3B, 0x00}; }
    std::string description() const override { return "fuzz"; }

protected:
    Bytes next() {
        if (answers_.empty()) throw Error(ErrorKind::Communication, "fuzz card: no answer left");
        Bytes a = std::move(answers_.front());
        answers_.pop_front();
        return a;
    }

private:
    bool extended_;
    std::deque<Bytes> answers_;
};

sm::SecureChannel appendix_d_channel(transport::CardChannel& card) {
    return sm::open_bac_channel(card, sm::BacSession{secure_from_hex(kKsEnc), secure_from_hex(kKsMac), from_hex(kSsc)});
}

/// Mode 6: a card that knows the BAC session keys and answers with responses whose DO8E verifies.
class MacingChannel final : public ScriptedChannel {
public:
    using ScriptedChannel::ScriptedChannel;
    void attach(const sm::SecureMessaging* messaging) { messaging_ = messaging; }
    ResponseApdu transmit(const CommandApdu& command) override {
        (void)command.encode();
        Bytes chunk = next();
        if (chunk.empty()) return ResponseApdu::parse(chunk);
        const std::uint8_t layout = chunk[0];
        const ByteView body = ByteView(chunk).subspan(1);
        sm::Des3SmCipher cipher(secure_from_hex(kKsEnc), secure_from_hex(kKsMac));
        Bytes ssc(messaging_->ssc().begin(), messaging_->ssc().end());
        for (std::size_t i = ssc.size(); i-- > 0;)
            if (++ssc[i] != 0) break;
        Bytes objects;
        if (layout & 0x01) {
            // The plaintext padded and encrypted as a card does; otherwise a raw cryptogram.
            const Bytes crypt = (layout & 0x02) ? Bytes(body.begin(), body.end())
                                                : cipher.encrypt(ssc, crypto::pad_m2(body, 8));
            Bytes value;
            if (!(layout & 0x04)) value.push_back(layout & 0x08 ? 0x02 : 0x01);
            append(value, crypt);
            append(objects, tlv::encode(layout & 0x04 ? 0x85 : 0x87, value));
        }
        const std::uint16_t sw = (layout & 0x10) ? 0x6282 : (layout & 0x20) ? 0x6A82 : 0x9000;
        if (!(layout & 0x40)) append(objects, tlv::encode(0x99, Bytes{std::uint8_t(sw >> 8), std::uint8_t(sw)}));
        Bytes mac_input = ssc;
        append(mac_input, objects);
        append(objects, tlv::encode(0x8E, cipher.mac(crypto::pad_m2(mac_input, 8))));
        const std::uint16_t outer = (layout & 0x80) ? 0x6282 : 0x9000;
        objects.push_back(std::uint8_t(outer >> 8));
        objects.push_back(std::uint8_t(outer));
        return ResponseApdu::parse(objects);
    }

private:
    const sm::SecureMessaging* messaging_ = nullptr;
};

/// Mode 7: the card of the GlobalPlatform SCP03 vector, answering INITIALIZE UPDATE and EXTERNAL
/// AUTHENTICATE as in the vector, then wrapping fuzz data the way a level 33 card does.
class Scp03Card final : public ScriptedChannel {
public:
    using ScriptedChannel::ScriptedChannel;
    ResponseApdu transmit(const CommandApdu& command) override {
        const Bytes wire = command.encode();
        if (command.ins == 0x50) return ResponseApdu::parse(from_hex(kVectorInitializeUpdate));
        if (command.data.size() < 8) throw Error(ErrorKind::Internal, "fuzz: SCP03 command without C-MAC");
        // The chaining value: CMAC over the command as sent, without its C-MAC and Le.
        const bool extended = wire.size() > 5 && wire[4] == 0x00;
        const std::size_t covered = (extended ? 7 : 5) + command.data.size() - 8;
        Bytes mac_input = chain_;
        append(mac_input, ByteView(wire).first(covered));
        chain_ = crypto::aes_cmac(s_mac_, mac_input);
        if (command.ins == 0x82) return ResponseApdu::parse(Bytes{0x90, 0x00});
        ++counter_;

        Bytes chunk = next();
        if (chunk.empty()) return ResponseApdu::parse(chunk);
        const std::uint8_t layout = chunk[0];
        const ByteView body = ByteView(chunk).subspan(1);
        const std::uint16_t sw = (layout & 0x10) ? 0x6282 : 0x9000;
        Bytes data;
        if (layout & 0x01) {
            Bytes iv(16, 0);
            iv[0] = 0x80;
            for (int i = 0; i < 8; ++i) iv[15 - i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
            data = crypto::aes_cbc_encrypt(s_enc_, crypto::aes_ecb_encrypt(s_enc_, iv), crypto::pad_m2(body, 16));
        } else {
            data.assign(body.begin(), body.end());
        }
        Bytes rmac_input = chain_;
        append(rmac_input, data);
        rmac_input.push_back(std::uint8_t(sw >> 8));
        rmac_input.push_back(std::uint8_t(sw));
        if (!(layout & 0x02)) append(data, ByteView(crypto::aes_cmac(s_rmac_, rmac_input)).first(8));
        data.push_back(std::uint8_t(sw >> 8));
        data.push_back(std::uint8_t(sw));
        return ResponseApdu::parse(data);
    }

private:
    static constexpr const char* kVectorInitializeUpdate =
        "000000000000000000003003703EB51047495B249F66C484C1D2EF19480000029000";
    const Bytes s_enc_ = from_hex("C4E87149F2114DA66BB015A567D751F9");
    const Bytes s_mac_ = from_hex("8B2635556E987A6B84F43D9FFC197D3F");
    const Bytes s_rmac_ = from_hex("3F6B2CE3B3ABD9A99BD4453AFA54CC7B");
    Bytes chain_ = Bytes(16, 0);
    std::uint64_t counter_ = 0;
};

sm::Scp03Keys aes128_keys() {
    sm::Scp03Keys k;
    k.kvn = 0x30;
    k.enc = secure_from_hex("404142434445464748494A4B4C4D4E4F");
    k.mac = secure_from_hex("505152535455565758595A5B5C5D5E5F");
    k.dek = secure_from_hex("606162636465666768696A6B6C6D6E6F");
    return k;
}

// The GlobalPlatform SCP03 test vector (AES-128, KVN 30): with these static keys and host
// challenge, its INITIALIZE UPDATE response opens the session (a seed reaches the later code).
sm::Scp03Keys vector_keys() {
    sm::Scp03Keys k;
    k.kvn = 0x30;
    k.enc = secure_from_hex("000102030405060708090A0B0C0D0E0F");
    k.mac = secure_from_hex("101112131415161718191A1B1C1D1E1F");
    k.dek = secure_from_hex("202122232425262728292A2B2C2D2E2F");
    return k;
}
constexpr const char* kHostChallenge = "B13E5F938FC108C4";

void use_scp03(sm::Scp03Session& session) {
    const auto& info = session.card_info();
    if (info.kdd.size() != 10 || info.card_challenge.size() != 8) std::abort();
    (void)session.transmit(CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256));
    session.use_extended_length(2048, 2048);
    (void)iso7816::read_ef(session, 0x011E);
}

void run(std::uint8_t mode, ByteView rest) {
    const bool extended = (mode & 0x80) != 0;
    switch (mode & 0x7F) {
        case 0: {
            try {
                (void)perso::parse_card_info(rest);
            } catch (const Error&) {
            }
            ScriptedChannel card(rest, extended);
            (void)perso::read_card_info(card);
            break;
        }
        case 1: {
            ScriptedChannel card(rest, extended);
            auto session = sm::Scp03Session::open_with_static_keys(card, vector_keys(), sm::scp03_level::all,
                                                                 crypto::sequence_random(from_hex(kHostChallenge)));
            use_scp03(session);
            break;
        }
        case 2: {
            ScriptedChannel card(rest, extended);
            auto session = sm::Scp03Session::open(card, aes128_keys(), sm::scp03_level::all,
                                                  crypto::sequence_random(from_hex(kHostChallenge)));
            use_scp03(session);
            break;
        }
        case 3: {
            ScriptedChannel card(rest, extended);
            const auto session = sm::perform_bac(card, sm::BacKeys::from_mrz_information(kMrzInformation),
                                                 crypto::sequence_random(from_hex(kBacRandom)));
            if (session.ks_enc.size() != 16 || session.ks_mac.size() != 16 || session.ssc.size() != 8) std::abort();
            break;
        }
        case 4: {
            ScriptedChannel card(rest, extended);
            auto channel = appendix_d_channel(card);
            const auto ef = iso7816::read_ef(channel, 0x011E);
            (void)tlv::parse_single(ef);
            break;
        }
        case 5: {
            ScriptedChannel card(rest, extended);
            const auto ef = iso7816::read_ef(card, 0x011D);
            (void)tlv::parse_single(ef);
            break;
        }
        case 6: {
            MacingChannel card(rest, extended);
            auto channel = appendix_d_channel(card);
            card.attach(&channel.messaging());
            const auto ef = iso7816::read_ef(channel, 0x0102);
            (void)tlv::parse_single(ef);
            break;
        }
        case 7: {
            Scp03Card card(rest, extended);
            auto session = sm::Scp03Session::open_with_static_keys(card, vector_keys(), sm::scp03_level::all,
                                                                   crypto::sequence_random(from_hex(kHostChallenge)));
            if (extended) session.use_extended_length(2048, 2048);
            const auto info = session.transmit(CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256));
            if (info.ok()) {
                try {
                    const auto parsed = perso::parse_card_info(info.data);
                    if (parsed.ticket.size() > info.data.size()) std::abort();
                } catch (const ParseError&) {
                }
            }
            (void)iso7816::read_ef(session, 0x011D);
            break;
        }
        default: break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    try {
        run(data[0], ByteView(data + 1, size - 1));
    } catch (const Error&) {
        // A malformed or hostile answer must end in a docketcard::Error (ParseError, CardError...).
    }
    return 0;
}
