#include "docketcard/sm/pace.hpp"

#include <fmt/core.h>

#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

namespace pace = crypto::pace;
using apdu::CommandApdu;

namespace {

const char* password_name(pace::PasswordKind kind) { return kind == pace::PasswordKind::Can ? "CAN" : "MRZ data"; }

// The value of the one data object `tag` inside the chip's 7C dynamic authentication data.
Bytes dynamic_object(const apdu::ResponseApdu& r, tlv::Tag tag, const char* step) {
    const tlv::Object outer = tlv::parse_single(r.data, fmt::format("PACE {} response", step));
    if (outer.tag != 0x7C) throw ParseError(fmt::format("PACE {}: the response is not dynamic authentication data (7C)", step));
    const tlv::Object inner = tlv::parse_single(outer.value, fmt::format("PACE {} dynamic authentication data", step));
    if (inner.tag != tag)
        throw ParseError(fmt::format("PACE {}: expected data object {:02X}, found {:02X}", step, tag, inner.tag));
    return Bytes(inner.value.begin(), inner.value.end());
}

CommandApdu general_authenticate(tlv::Tag tag, ByteView value, bool last) {
    Bytes data = value.empty() && tag == 0 ? tlv::encode(0x7C, Bytes{}) : tlv::encode(0x7C, tlv::encode(tag, value));
    return CommandApdu(last ? 0x00 : 0x10, 0x86, 0x00, 0x00, std::move(data), 256);
}

SecureBytes ephemeral_scalar(const pace::Domain& domain, const crypto::RandomSource& random) {
    SecureBytes d(domain.field_size());
    do random(std::span<std::uint8_t>(d.data(), d.size()));
    while (!domain.valid_scalar(view(d)));
    return d;
}

}  // namespace

PaceSession perform_pace(transport::CardChannel& card, const PaceParameters& params, pace::PasswordKind kind,
                         std::string_view password, const crypto::RandomSource& random) {
    const SecureBytes k_pi = pace::password_key(params.protocol, kind, password);
    const pace::Domain& domain = pace::Domain::get(params.domain);
    auto refused = [&](const char* step, const apdu::ResponseApdu& r) -> CardError {
        return CardError(ErrorKind::CardRefused, fmt::format("PACE: {} refused with {}", step, r.sw.describe()), r.sw.value());
    };

    // MSE:Set AT (Part 11 4.4.4.1): protocol, password reference, domain parameters.
    const Bytes mse = concat({tlv::encode(0x80, pace::oid(params.protocol)),
                              tlv::encode(0x83, Bytes{static_cast<std::uint8_t>(kind)}),
                              tlv::encode(0x84, Bytes{static_cast<std::uint8_t>(params.domain)})});
    const auto set_at = card.transmit(CommandApdu(0x00, 0x22, 0xC1, 0xA4, mse));
    if (set_at.sw == apdu::sw::auth_method_blocked) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("PACE: the card has blocked PACE with the {} after too many wrong attempts (6983)",
                                    password_name(kind)),
                        set_at.sw.value());
    }
    if (!set_at.ok()) throw refused("MSE:Set AT", set_at);

    // Step 1: the encrypted nonce (4.4.3.1).
    const auto r1 = card.transmit(general_authenticate(0, {}, false));
    if (!r1.ok()) throw refused("GENERAL AUTHENTICATE (encrypted nonce)", r1);
    const Bytes z = dynamic_object(r1, 0x80, "encrypted nonce");
    if (z.empty() || z.size() % 16 != 0) throw ParseError(fmt::format("PACE: the encrypted nonce has {} bytes", z.size()));
    const SecureBytes s = pace::decrypt_nonce(view(k_pi), z);

    // Step 2: the generic mapping (4.4.3.3.1).
    SecureBytes sk_map = ephemeral_scalar(domain, random);
    const Bytes pk_map = domain.multiply(domain.generator(), view(sk_map));
    const auto r2 = card.transmit(general_authenticate(0x81, pk_map, false));
    if (!r2.ok()) throw refused("GENERAL AUTHENTICATE (mapping)", r2);
    const Bytes pk_map_ic = dynamic_object(r2, 0x82, "mapping");
    domain.check_point(pk_map_ic);
    const Bytes h = domain.multiply(pk_map_ic, view(sk_map));
    const Bytes generator = domain.map_generic(view(s), h);
    secure_wipe(sk_map.data(), sk_map.size());

    // Step 3: key agreement on the mapped generator (4.4.3.3.2).
    const SecureBytes sk_dh = ephemeral_scalar(domain, random);
    const Bytes pk_dh = domain.multiply(generator, view(sk_dh));
    const auto r3 = card.transmit(general_authenticate(0x83, pk_dh, false));
    if (!r3.ok()) throw refused("GENERAL AUTHENTICATE (key agreement)", r3);
    const Bytes pk_dh_ic = dynamic_object(r3, 0x84, "key agreement");
    domain.check_point(pk_dh_ic);
    if (pk_dh_ic == pk_dh) throw CardError(ErrorKind::CardRefused, "PACE: the chip echoed our ephemeral public key", r3.sw.value());
    const SecureBytes k = domain.shared_secret(view(sk_dh), pk_dh_ic);
    pace::SessionKeys keys = pace::derive_session_keys(params.protocol, view(k));

    // Step 4: mutual authentication (4.4.3.4). A wrong password shows only here.
    const Bytes t_ifd = pace::authentication_token(view(keys.ks_mac), params.protocol, pk_dh_ic);
    const auto r4 = card.transmit(general_authenticate(0x85, t_ifd, true));
    if (r4.sw.sw1() == 0x63) {
        const bool counted = (r4.sw.sw2() & 0xF0) == 0xC0;
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("PACE failed: the {} does not match the card{}", password_name(kind),
                                    counted ? fmt::format(" ({} attempts left)", r4.sw.sw2() & 0x0F) : std::string()),
                        r4.sw.value());
    }
    if (!r4.ok()) throw refused("GENERAL AUTHENTICATE (mutual authentication)", r4);
    const Bytes t_ic = dynamic_object(r4, 0x86, "mutual authentication");
    if (!equal_ct(t_ic, pace::authentication_token(view(keys.ks_mac), params.protocol, pk_dh))) {
        throw CardError(ErrorKind::CardRefused,
                        "PACE failed: the chip's authentication token T_IC does not verify; the card may not be genuine",
                        r4.sw.value());
    }
    return PaceSession{std::move(keys.ks_enc), std::move(keys.ks_mac), pk_dh_ic};
}

SecureChannel open_pace_channel(transport::CardChannel& card, PaceSession session) {
    auto cipher = std::make_unique<AesSmCipher>(std::move(session.ks_enc), std::move(session.ks_mac));
    return SecureChannel(card, SecureMessaging(std::move(cipher), Bytes(16, 0x00)));
}

SecureChannel establish_pace(transport::CardChannel& card, const PaceParameters& params, pace::PasswordKind kind,
                             std::string_view password, const crypto::RandomSource& random) {
    return open_pace_channel(card, perform_pace(card, params, kind, password, random));
}

}  // namespace docketcard::sm
