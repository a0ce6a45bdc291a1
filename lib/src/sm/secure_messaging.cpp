#include "docketcard/sm/secure_messaging.hpp"

#include <algorithm>
#include <optional>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

using apdu::CommandApdu;
using apdu::ResponseApdu;
using apdu::StatusWord;

Des3SmCipher::Des3SmCipher(SecureBytes ks_enc, SecureBytes ks_mac)
    : ks_enc_(std::move(ks_enc)), ks_mac_(std::move(ks_mac)) {
    if (ks_enc_.size() != 16 || ks_mac_.size() != 16) {
        throw Error(ErrorKind::Internal, "3DES secure messaging needs two 16-byte session keys");
    }
}

Bytes Des3SmCipher::encrypt(ByteView, ByteView padded) const {
    return crypto::des3_cbc_encrypt(view(ks_enc_), Bytes(8, 0), padded);
}

Bytes Des3SmCipher::decrypt(ByteView, ByteView cryptogram) const {
    return crypto::des3_cbc_decrypt(view(ks_enc_), Bytes(8, 0), cryptogram);
}

Bytes Des3SmCipher::mac(ByteView padded) const { return crypto::retail_mac(view(ks_mac_), padded); }

AesSmCipher::AesSmCipher(SecureBytes ks_enc, SecureBytes ks_mac)
    : ks_enc_(std::move(ks_enc)), ks_mac_(std::move(ks_mac)) {
    const auto ok = [](std::size_t n) { return n == 16 || n == 24 || n == 32; };
    if (!ok(ks_enc_.size()) || !ok(ks_mac_.size())) {
        throw Error(ErrorKind::Internal, "AES secure messaging needs session keys of 16, 24 or 32 bytes");
    }
}

Bytes AesSmCipher::encrypt(ByteView ssc, ByteView padded) const {
    return crypto::aes_cbc_encrypt(view(ks_enc_), crypto::aes_ecb_encrypt(view(ks_enc_), ssc), padded);
}

Bytes AesSmCipher::decrypt(ByteView ssc, ByteView cryptogram) const {
    return crypto::aes_cbc_decrypt(view(ks_enc_), crypto::aes_ecb_encrypt(view(ks_enc_), ssc), cryptogram);
}

Bytes AesSmCipher::mac(ByteView padded) const {
    const Bytes full = crypto::aes_cmac(view(ks_mac_), padded);
    return Bytes(full.begin(), full.begin() + 8);
}

namespace {

// The largest plain length whose DO87 (padding indicator + data padded to `block`) plus `fixed`
// bytes of other data objects fits `limit`: for each length-field size the value may take, the
// largest whole number of blocks, less the one byte padding always adds. Closed form: capabilities
// are asked for at every READ BINARY, and a step-by-step search up to an extended-length limit of
// 65535 cost most of the host CPU of a personalization.
std::size_t largest_plain(std::size_t limit, std::size_t fixed, std::size_t block) noexcept {
    constexpr std::size_t max_value[] = {0x7F, 0xFF, 0xFFFF, 0xFFFFFF};
    std::size_t best = 0;
    for (std::size_t length_bytes = 1; length_bytes <= 4; ++length_bytes) {
        const std::size_t overhead = fixed + 1 + length_bytes;  // tag 87 and its length field
        if (limit <= overhead + 1) continue;
        const std::size_t value = std::min(limit - overhead, max_value[length_bytes - 1]);
        const std::size_t padded = ((value - 1) / block) * block;  // value = indicator + padded data
        if (padded >= block) best = std::max(best, padded - 1);
    }
    return best;
}

Bytes le_value(std::size_t le) {
    if (le == 256) return {0x00};
    if (le < 256) return {static_cast<std::uint8_t>(le)};
    if (le == 65536) return {0x00, 0x00};
    Bytes out;
    put_u16(out, static_cast<std::uint16_t>(le));
    return out;
}

}  // namespace

SecureMessaging::SecureMessaging(std::unique_ptr<SmCipher> cipher, Bytes ssc)
    : cipher_(std::move(cipher)), ssc_(std::move(ssc)) {
    if (!cipher_) throw Error(ErrorKind::Internal, "secure messaging without a cipher");
    if (ssc_.size() != cipher_->ssc_size()) {
        throw Error(ErrorKind::Internal, fmt::format("secure messaging: SSC of {} bytes, the cipher needs {}",
                                                     ssc_.size(), cipher_->ssc_size()));
    }
}

void SecureMessaging::increment_ssc() noexcept {
    for (auto it = ssc_.rbegin(); it != ssc_.rend(); ++it) {
        if (++*it != 0) break;
    }
}

void SecureMessaging::fail_parse(const std::string& message) {
    ended_ = true;
    throw ParseError("secure messaging: " + message + "; the secure session has ended");
}

CommandApdu SecureMessaging::protect(const CommandApdu& plain) {
    if (ended_) {
        throw Error(ErrorKind::WrongCardState,
                    "secure messaging session has ended after an error; authenticate again (BAC)");
    }
    const std::size_t block = cipher_->block_size();
    increment_ssc();

    const auto cla = static_cast<std::uint8_t>(plain.cla | 0x0C);
    Bytes dos;
    if (!plain.data.empty()) {
        const Bytes cryptogram = cipher_->encrypt(ssc_, crypto::pad_m2(plain.data, block));
        if (plain.ins & 0x01) {
            tlv::append(dos, 0x85, cryptogram);
        } else {
            Bytes value{0x01};
            append(value, cryptogram);
            tlv::append(dos, 0x87, value);
        }
    }
    if (plain.le) tlv::append(dos, 0x97, le_value(*plain.le));

    Bytes mac_input = ssc_;
    append(mac_input, crypto::pad_m2(Bytes{cla, plain.ins, plain.p1, plain.p2}, block));
    append(mac_input, dos);
    tlv::append(dos, 0x8E, cipher_->mac(crypto::pad_m2(mac_input, block)));

    const bool extended = plain.needs_extended() || dos.size() > 255;
    return CommandApdu(cla, plain.ins, plain.p1, plain.p2, std::move(dos), extended ? 65536 : 256);
}

ResponseApdu SecureMessaging::unprotect(const ResponseApdu& response) {
    increment_ssc();
    if (response.data.empty()) {
        if (response.sw == apdu::sw::sm_data_objects_missing || response.sw == apdu::sw::sm_data_objects_incorrect) {
            ended_ = true;
            throw CardError(ErrorKind::CardRefused,
                            fmt::format("the card rejected the secure messaging of the command: {}; the secure "
                                        "session has ended",
                                        response.sw.describe()),
                            response.sw.value());
        }
        if (response.sw.ok()) fail_parse("the card answered 9000 without data objects (DO99, DO8E expected)");
        return response;
    }

    std::optional<tlv::Object> do87, do99, do8e;
    tlv::Reader reader(response.data, "secure messaging response");
    ByteView covered;  // every object before DO8E, as sent
    try {
        while (!reader.empty()) {
            const std::size_t start = reader.offset();
            const tlv::Object obj = reader.next();
            if (do8e) fail_parse("data after DO8E in the response");
            switch (obj.tag) {
                case 0x85:
                case 0x87:
                    if (do87 || do99) fail_parse("DO87 repeated or after DO99 in the response");
                    do87 = obj;
                    break;
                case 0x99:
                    if (do99) fail_parse("DO99 repeated in the response");
                    do99 = obj;
                    break;
                case 0x8E:
                    do8e = obj;
                    covered = ByteView(response.data).subspan(0, start);
                    break;
                default:
                    fail_parse(fmt::format("unexpected data object {:02X} in the response", obj.tag));
            }
        }
    } catch (const ParseError&) {
        ended_ = true;
        throw;
    }
    if (!do8e) fail_parse("the response has no MAC (DO8E)");
    if (!do99) fail_parse("the response has no status word (DO99)");
    if (do8e->value.size() != 8) fail_parse(fmt::format("DO8E of {} bytes, 8 expected", do8e->value.size()));
    if (do99->value.size() != 2) fail_parse(fmt::format("DO99 of {} bytes, 2 expected", do99->value.size()));

    Bytes mac_input = ssc_;
    append(mac_input, covered);
    const Bytes expected = cipher_->mac(crypto::pad_m2(mac_input, cipher_->block_size()));
    if (!equal_ct(expected, do8e->value)) {
        ended_ = true;
        throw CardError(ErrorKind::CardRefused,
                        "secure messaging: the MAC of the card's response (DO8E) does not verify; the response "
                        "was altered or does not come from the authenticated card, and the secure session has "
                        "ended",
                        response.sw.value());
    }
    const StatusWord sw(do99->value[0], do99->value[1]);
    if (sw != response.sw) {
        fail_parse(fmt::format("status word {} differs from the MAC-protected one in DO99 ({})", response.sw.hex(),
                               sw.hex()));
    }

    ResponseApdu plain;
    plain.sw = sw;
    if (do87) {
        ByteView cryptogram = do87->value;
        if (do87->tag == 0x87) {
            if (cryptogram.empty() || cryptogram[0] != 0x01) fail_parse("DO87 without padding indicator 01");
            cryptogram = cryptogram.subspan(1);
        }
        if (cryptogram.empty() || cryptogram.size() % cipher_->block_size() != 0) {
            fail_parse(fmt::format("encrypted data of {} bytes is not a whole number of cipher blocks",
                                   cryptogram.size()));
        }
        Bytes padded = cipher_->decrypt(ssc_, cryptogram);
        try {
            plain.data = crypto::unpad_m2(padded);
        } catch (const ParseError&) {
            fail_parse("the decrypted response data has malformed padding");
        }
    }
    return plain;
}

std::size_t SecureMessaging::max_plain_response(std::size_t limit) const noexcept {
    return largest_plain(limit, 4 + 10, cipher_->block_size());  // DO99 + DO8E
}

std::size_t SecureMessaging::max_plain_command(std::size_t limit) const noexcept {
    return largest_plain(limit, 4 + 10, cipher_->block_size());  // DO97 (at most 97 02 HH LL) + DO8E
}

SecureChannel::SecureChannel(transport::CardChannel& inner, SecureMessaging messaging)
    : inner_(&inner), sm_(std::move(messaging)) {}

apdu::ResponseApdu SecureChannel::transmit(const CommandApdu& command) {
    const CommandApdu wrapped = sm_.protect(command);
    const auto caps = inner_->capabilities();
    if (wrapped.needs_extended() && !caps.extended_length) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("command {:02X} with {} data byte(s) and Le {} needs extended length under secure "
                                "messaging, which {} does not support",
                                command.ins, command.data.size(), command.le ? std::to_string(*command.le) : "none",
                                inner_->description()));
    }
    return sm_.unprotect(inner_->transmit(wrapped));
}

transport::Capabilities SecureChannel::capabilities() const {
    const auto inner = inner_->capabilities();
    transport::Capabilities caps;
    caps.extended_length = inner.extended_length;
    const std::size_t cmd_limit = inner.extended_length ? inner.max_command_data : std::min<std::size_t>(inner.max_command_data, 255);
    const std::size_t rsp_limit =
        inner.extended_length ? inner.max_response_data : std::min<std::size_t>(inner.max_response_data, 256);
    caps.max_command_data = sm_.max_plain_command(cmd_limit);
    caps.max_response_data = sm_.max_plain_response(rsp_limit);
    return caps;
}

Bytes SecureChannel::atr() const { return inner_->atr(); }

std::string SecureChannel::description() const { return inner_->description() + " (secure messaging)"; }

}  // namespace docketcard::sm
