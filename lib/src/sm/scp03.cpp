#include "docketcard/sm/scp03.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

using apdu::CommandApdu;
using apdu::ResponseApdu;

namespace {

bool valid_level(std::uint8_t sl) {
    return sl == 0x01 || sl == 0x03 || sl == 0x11 || sl == 0x13 || sl == 0x31 || sl == 0x33;
}

Bytes counter_block(std::uint64_t counter, std::uint8_t first) {
    Bytes b(16, 0);
    b[0] = first;
    for (int i = 0; i < 8; ++i) b[15 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    return b;
}

Scp03CardInfo parse_initialize_update(ByteView r) {
    if (r.size() != 29 && r.size() != 32) {
        throw ParseError(fmt::format("SCP03: INITIALIZE UPDATE returned {} bytes; 29 or 32 expected "
                                     "(GP Amendment D 7.1.1.4)",
                                     r.size()));
    }
    Scp03CardInfo info;
    info.kdd.assign(r.begin(), r.begin() + 10);
    info.kvn = r[10];
    if (r[11] != 0x03) {
        throw CardError(ErrorKind::WrongCardState,
                        fmt::format("SCP03: the card offers secure channel protocol {:02X}, not 03", r[11]), 0x9000);
    }
    info.i = r[12];
    info.card_challenge.assign(r.begin() + 13, r.begin() + 21);
    const bool has_counter = (info.i & 0x10) != 0;
    if (has_counter != (r.size() == 32)) {
        throw ParseError(fmt::format("SCP03: INITIALIZE UPDATE returned {} bytes but i = {:02X} {} a sequence counter",
                                     r.size(), info.i, has_counter ? "announces" : "does not announce"));
    }
    if (has_counter) info.sequence_counter = (std::uint32_t{r[29]} << 16) | (std::uint32_t{r[30]} << 8) | r[31];
    return info;
}

}  // namespace

Scp03Session Scp03Session::open(transport::CardChannel& card, const Scp03Keys& master, std::uint8_t security_level,
                                const crypto::RandomSource& host_challenge) {
    const FileMasterKeys file(master);
    return open_impl(card, nullptr, &file, master.kvn, security_level, host_challenge);
}

Scp03Session Scp03Session::open(transport::CardChannel& card, const Scp03MasterKeys& master, std::uint8_t security_level,
                                const crypto::RandomSource& host_challenge) {
    return open_impl(card, nullptr, &master, master.kvn(), security_level, host_challenge);
}

Scp03Session Scp03Session::open_with_static_keys(transport::CardChannel& card, const Scp03Keys& static_keys,
                                                 std::uint8_t security_level, const crypto::RandomSource& host_challenge) {
    return open_impl(card, &static_keys, nullptr, static_keys.kvn, security_level, host_challenge);
}

Scp03Session Scp03Session::open_impl(transport::CardChannel& card, const Scp03Keys* static_keys,
                                     const Scp03MasterKeys* master, std::uint8_t kvn, std::uint8_t security_level,
                                     const crypto::RandomSource& host_challenge) {
    if (!valid_level(security_level)) {
        throw Error(ErrorKind::Usage, fmt::format("SCP03 security level {:02X} is not one of 01, 03, 11, 13, 31, 33",
                                                  security_level));
    }
    if (static_keys && (static_keys->enc.empty() || static_keys->mac.empty()))
        throw Error(ErrorKind::Internal, "SCP03: empty key set");

    Bytes host_chal(8);
    host_challenge(host_chal);
    const auto iu = card.transmit(CommandApdu(0x80, 0x50, kvn, 0x00, host_chal, 256));
    if (!iu.ok()) {
        if (iu.sw == apdu::sw::auth_method_blocked) {
            throw CardError(ErrorKind::WrongCardState,
                            fmt::format("SCP03: INITIALIZE UPDATE answered {}: this card blocked personalization "
                                        "for good after 5 failed authentications",
                                        iu.sw.describe()),
                            iu.sw.value());
        }
        const bool no_key = iu.sw == apdu::sw::reference_not_found;
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: INITIALIZE UPDATE refused with {}{}", iu.sw.describe(),
                                    no_key ? fmt::format("; the card has no key set with KVN {:02X}", kvn) : ""),
                        iu.sw.value());
    }

    Scp03Session s;
    s.inner_ = &card;
    s.level_ = security_level;
    s.info_ = parse_initialize_update(iu.data);
    const Scp03CardInfo& info = s.info_;
    if (kvn != 0 && info.kvn != kvn) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: asked for key set KVN {:02X} but the card answered with KVN {:02X}; "
                                    "nothing was sent that counts a failed authentication",
                                    kvn, info.kvn),
                        iu.sw.value());
    }
    if (info.i & 0x01) {
        throw CardError(ErrorKind::WrongCardState, "SCP03: the card uses S16 mode, which docketcard does not support",
                        iu.sw.value());
    }
    if (((security_level & scp03_level::r_mac) && !(info.i & 0x20)) ||
        ((security_level & scp03_level::r_encryption) && !(info.i & 0x40))) {
        throw CardError(ErrorKind::WrongCardState,
                        fmt::format("SCP03: the card (i = {:02X}) does not support security level {:02X}", info.i,
                                    security_level),
                        iu.sw.value());
    }

    const Scp03Keys card_keys = master ? master->card_keys(info.kdd) : Scp03Keys{};
    const Scp03Keys& k = master ? card_keys : *static_keys;
    // The card side derives the same keys in its own code (applets/src/applet.cpp,
    // initialize_update), kept independent on purpose so that the emulated card catches a host
    // mistake instead of sharing it; both are pinned to one vector table in
    // tests/unit/sm/test_scp03_both_sides.cpp.
    const Bytes context = concat({host_chal, info.card_challenge});
    const auto bits = static_cast<std::uint16_t>(k.enc.size() * 8);
    s.s_enc_ = crypto::scp03_kdf(view(k.enc), crypto::scp03_constant::s_enc, bits, context);
    s.s_mac_ = crypto::scp03_kdf(view(k.mac), crypto::scp03_constant::s_mac, bits, context);
    s.s_rmac_ = crypto::scp03_kdf(view(k.mac), crypto::scp03_constant::s_rmac, bits, context);

    const SecureBytes card_cryptogram =
        crypto::scp03_kdf(view(s.s_mac_), crypto::scp03_constant::card_cryptogram, 64, context);
    if (!equal_ct(view(card_cryptogram), ByteView(iu.data).subspan(21, 8))) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: the card cryptogram does not verify: this card's keys do not match these "
                                    "master keys (wrong key set or KVN {:02X} for this card). Nothing was sent that "
                                    "counts a failed authentication.",
                                    info.kvn),
                        iu.sw.value());
    }
    const SecureBytes host_cryptogram =
        crypto::scp03_kdf(view(s.s_mac_), crypto::scp03_constant::host_cryptogram, 64, context);

    s.chain_.assign(16, 0);
    const CommandApdu ea(0x84, 0x82, security_level, 0x00, Bytes(host_cryptogram.begin(), host_cryptogram.end()));
    Bytes mac_input = s.chain_;
    append(mac_input, Bytes{ea.cla, ea.ins, ea.p1, ea.p2, static_cast<std::uint8_t>(ea.data.size() + 8)});
    append(mac_input, ea.data);
    s.chain_ = crypto::aes_cmac(view(s.s_mac_), mac_input);
    CommandApdu wrapped = ea;
    append(wrapped.data, ByteView(s.chain_).subspan(0, 8));

    const auto answer = card.transmit(wrapped);
    if (answer.sw == apdu::sw::auth_failed) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: EXTERNAL AUTHENTICATE failed ({}): the card counted a failed "
                                    "authentication. docketcard never retries automatically, because the card "
                                    "blocks personalization for good after 5 consecutive failures. Check that the "
                                    "keys folder holds the key set this card was made with and that its KVN ({:02X}) "
                                    "is right before trying again.",
                                    answer.sw.describe(), info.kvn),
                        answer.sw.value());
    }
    if (!answer.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: EXTERNAL AUTHENTICATE refused with {} (security level {:02X}); not retried",
                                    answer.sw.describe(), security_level),
                        answer.sw.value());
    }
    s.counter_ = 0;
    return s;
}

std::size_t Scp03Session::max_block_data() const noexcept {
    // Lc' = encrypted data (padded to 16, at least one padding byte) + 8-byte C-MAC must fit
    // the wire limit (255 in short length).
    const std::size_t room = wire_command_max_ - 8;
    return (level_ & scp03_level::c_decryption) ? (room / 16) * 16 - 1 : room;
}

void Scp03Session::use_extended_length(std::size_t card_max_command_data, std::size_t card_max_response_data) {
    const auto inner = inner_->capabilities();
    if (!inner.extended_length) return;
    wire_command_max_ = std::max<std::size_t>(255, std::min({card_max_command_data, inner.max_command_data,
                                                             std::size_t{65535}}));
    wire_response_max_ = std::max<std::size_t>(256, std::min({card_max_response_data, inner.max_response_data,
                                                              std::size_t{65536}}));
}

CommandApdu Scp03Session::wrap(const CommandApdu& plain) {
    ++counter_;
    Bytes data = plain.data;
    if ((level_ & scp03_level::c_decryption) && !data.empty()) {
        const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), counter_block(counter_, 0x00));
        Bytes padded = crypto::pad_m2(data, 16);
        secure_wipe(data.data(), data.size());
        data = crypto::aes_cbc_encrypt(view(s_enc_), iv, padded);
        secure_wipe(padded.data(), padded.size());
    }
    const auto cla = static_cast<std::uint8_t>(0x84 | (plain.cla & 0x13));
    const std::size_t lc = data.size() + 8;
    if (lc > wire_command_max_) throw Error(ErrorKind::Internal, "SCP03: wrapped block longer than the wire allows");
    Bytes mac_input = chain_;
    append(mac_input, Bytes{cla, plain.ins, plain.p1, plain.p2});
    // The MAC covers Lc as it is sent: one byte, or 00 HH LL in the extended form (which a long
    // Le also forces, ISO/IEC 7816-4 5.1).
    if (lc > 255 || (plain.le && *plain.le > 256)) {
        mac_input.push_back(0x00);
        put_u16(mac_input, static_cast<std::uint16_t>(lc));
    } else {
        mac_input.push_back(static_cast<std::uint8_t>(lc));
    }
    append(mac_input, data);
    chain_ = crypto::aes_cmac(view(s_mac_), mac_input);
    append(data, ByteView(chain_).subspan(0, 8));
    return CommandApdu(cla, plain.ins, plain.p1, plain.p2, std::move(data), plain.le);
}

ResponseApdu Scp03Session::unwrap(const ResponseApdu& response) {
    if (!response.ok()) return response;
    ByteView body = response.data;
    if (level_ & scp03_level::r_mac) {
        if (body.size() < 8) {
            ended_ = true;
            throw CardError(ErrorKind::CardRefused,
                            fmt::format("SCP03: a 9000 response of {} bytes has no R-MAC; the response was altered "
                                        "or does not come from the authenticated card, and the session has ended",
                                        body.size()),
                            response.sw.value());
        }
        const ByteView rmac = body.subspan(body.size() - 8);
        body = body.subspan(0, body.size() - 8);
        Bytes mac_input = chain_;
        append(mac_input, body);
        append(mac_input, Bytes{response.sw.sw1(), response.sw.sw2()});
        const Bytes expected = crypto::aes_cmac(view(s_rmac_), mac_input);
        if (!equal_ct(ByteView(expected).subspan(0, 8), rmac)) {
            ended_ = true;
            throw CardError(ErrorKind::CardRefused,
                            "SCP03: the R-MAC of the card's response does not verify; the response was altered or "
                            "does not come from the authenticated card, and the session has ended",
                            response.sw.value());
        }
    }
    ResponseApdu plain;
    plain.sw = response.sw;
    if ((level_ & scp03_level::r_encryption) && !body.empty()) {
        if (body.size() % 16 != 0) {
            ended_ = true;
            throw CardError(ErrorKind::CardRefused,
                            fmt::format("SCP03: the card's encrypted response data of {} bytes is not a whole number "
                                        "of AES blocks; the session has ended",
                                        body.size()),
                            response.sw.value());
        }
        const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), counter_block(counter_, 0x80));
        Bytes padded = crypto::aes_cbc_decrypt(view(s_enc_), iv, body);
        try {
            plain.data = crypto::unpad_m2(padded);
        } catch (const ParseError&) {
            ended_ = true;
            secure_wipe(padded.data(), padded.size());
            // The R-MAC (S-RMAC, from K-MAC) verified, so the card really sent these blocks: they
            // do not decrypt because its S-ENC differs from ours, i.e. K-ENC does not match.
            throw CardError(ErrorKind::CardRefused,
                            enc_confirmed_
                                ? "SCP03: the card's response carries a valid R-MAC but its data does not decrypt "
                                  "(malformed padding): the secure channel's encryption keys (S-ENC) no longer agree "
                                  "or the response was altered; the session has ended"
                                : "SCP03: the card's first encrypted response carries a valid R-MAC but does not "
                                  "decrypt (malformed padding): the ENC master key (K-ENC) does not match this "
                                  "card's key set (the MAC key does); the session has ended",
                            response.sw.value());
        }
        secure_wipe(padded.data(), padded.size());
        enc_confirmed_ = true;
    } else {
        plain.data.assign(body.begin(), body.end());
    }
    return plain;
}

ResponseApdu Scp03Session::transmit(const CommandApdu& command) {
    if (ended_) {
        throw Error(ErrorKind::WrongCardState,
                    "SCP03 session has ended after an error; open a new secure channel");
    }
    if (command.data.size() <= max_block_data()) return exchange(command);
    ResponseApdu last;
    for (const auto& block : command.chain(max_block_data())) {
        last = exchange(block);
        if (!last.ok()) return last;
    }
    return last;
}

ResponseApdu Scp03Session::exchange(const CommandApdu& block) {
    const bool encrypted = (level_ & scp03_level::c_decryption) && !block.data.empty();
    const ResponseApdu r = inner_->transmit(wrap(block));
    if (encrypted && !enc_confirmed_ && r.sw == apdu::sw::security_status_not_satisfied) {
        // The card ends its session when it cannot decrypt a command (docs/card-protocol.md). The
        // C-MAC key is right (EXTERNAL AUTHENTICATE passed), so on the first encrypted command
        // this means the card's S-ENC differs from ours: K-ENC does not match.
        ended_ = true;
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("SCP03: the card refused the first encrypted command ({}): the ENC master key "
                                    "(K-ENC) does not match this card's key set (the MAC key does); the session has "
                                    "ended",
                                    r.sw.describe()),
                        r.sw.value());
    }
    if (encrypted && r.ok()) enc_confirmed_ = true;
    return unwrap(r);
}

transport::Capabilities Scp03Session::capabilities() const {
    transport::Capabilities caps;
    caps.extended_length = wire_command_max_ > 255;
    caps.max_command_data = max_block_data();
    std::size_t rsp = wire_response_max_;
    if (level_ & scp03_level::r_mac) rsp -= 8;
    if (level_ & scp03_level::r_encryption) rsp = (rsp / 16) * 16 - 1;
    caps.max_response_data = std::min(rsp, inner_->capabilities().max_response_data);
    return caps;
}

Bytes Scp03Session::atr() const { return inner_->atr(); }

std::string Scp03Session::description() const { return inner_->description() + " (SCP03)"; }

}  // namespace docketcard::sm
