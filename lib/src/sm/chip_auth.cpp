#include "docketcard/sm/chip_auth.hpp"

#include <fmt/core.h>

#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

namespace pace = crypto::pace;
using apdu::CommandApdu;

SecureChannel perform_chip_authentication(transport::CardChannel& session, transport::CardChannel& raw,
                                          const ChipAuthKey& key, const crypto::RandomSource& random) {
    const pace::Domain& domain = pace::Domain::get(key.domain);
    domain.check_point(key.public_point);

    Bytes mse = tlv::encode(0x80, pace::oid(key.protocol));
    if (key.key_id) {
        if (*key.key_id < 0 || *key.key_id > 255) throw ParseError("Chip Authentication: key id out of range");
        tlv::append(mse, 0x84, Bytes{static_cast<std::uint8_t>(*key.key_id)});
    }
    const auto set_at = session.transmit(CommandApdu(0x00, 0x22, 0x41, 0xA4, mse));
    if (!set_at.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("Chip Authentication: MSE:Set AT refused with {}", set_at.sw.describe()),
                        set_at.sw.value());
    }

    SecureBytes sk(domain.field_size());
    do random(std::span<std::uint8_t>(sk.data(), sk.size()));
    while (!domain.valid_scalar(view(sk)));
    const Bytes pk = domain.multiply(domain.generator(), view(sk));
    const SecureBytes k = domain.shared_secret(view(sk), key.public_point);
    pace::SessionKeys keys = pace::derive_session_keys(key.protocol, view(k));

    const auto ga = session.transmit(
        CommandApdu(0x00, 0x86, 0x00, 0x00, tlv::encode(0x7C, tlv::encode(0x80, pk)), 256));
    if (!ga.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("Chip Authentication: GENERAL AUTHENTICATE refused with {}", ga.sw.describe()),
                        ga.sw.value());
    }
    const tlv::Object answer = tlv::parse_single(ga.data, "Chip Authentication response");
    if (answer.tag != 0x7C || !answer.value.empty())
        throw ParseError("Chip Authentication: the answer to GENERAL AUTHENTICATE is not 7C 00");
    auto cipher = std::make_unique<AesSmCipher>(std::move(keys.ks_enc), std::move(keys.ks_mac));
    return SecureChannel(raw, SecureMessaging(std::move(cipher), Bytes(16, 0x00)));
}

}  // namespace docketcard::sm
