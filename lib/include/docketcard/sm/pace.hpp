// PACE, terminal side (ICAO Doc 9303 Part 11 4.4, commands 4.4.4): MSE:Set AT, GENERAL
// AUTHENTICATE in four steps with the generic mapping (4.4.3.3.1), then AES secure messaging
// (9.8.6.2) with a send sequence counter of zero (9.8.2). The arithmetic is crypto/pace.hpp.
//
//   terminal                                             chip
//   MSE:Set AT  80 OID, 83 password ref, 84 param id ->
//   GA 1  7C 00                                       -> 7C {80 z = E(Kπ, s)}      s = D(Kπ, z)
//   GA 2  7C {81 PK_Map,IFD}                          -> 7C {82 PK_Map,IC}         Ĝ = s·G + H
//   GA 3  7C {83 PK_DH,IFD}                           -> 7C {84 PK_DH,IC}          K, KSenc, KSmac
//   GA 4  7C {85 T_IFD}                               -> 7C {86 T_IC}, or 63Cx / 6300: wrong password
//
// Typical use (verify side):
//
//     auto sm = sm::establish_pace(card, {Protocol::PaceEcdhGmAes128, DomainId::BrainpoolP256r1},
//                                  PasswordKind::Can, can);     // throws CardError on a wrong CAN
//     Bytes com = iso7816::read_ef(sm, 0x011E);
#pragma once

#include <string_view>

#include "docketcard/crypto/pace.hpp"
#include "docketcard/crypto/random.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/transport/channel.hpp"

namespace docketcard::sm {

/// The PACE variant a chip offers in a PACEInfo of EF.CardAccess (Part 11 9.2.1).
struct PaceParameters {
    crypto::pace::Protocol protocol = crypto::pace::Protocol::PaceEcdhGmAes128;
    crypto::pace::DomainId domain = crypto::pace::DomainId::BrainpoolP256r1;
};

/// What a successful PACE produces: the session keys and the chip's ephemeral public key
/// PK_DH,IC (Chip Authentication's and the document's binding use it, Part 11 4.4.3.5).
struct PaceSession {
    SecureBytes ks_enc;
    SecureBytes ks_mac;
    Bytes chip_public_key;
};

/// Runs PACE on `card` with the MRZ information (PasswordKind::Mrz, as mrz::Td1::bac_information())
/// or the 6-digit CAN. `random` gives the terminal's two ephemeral private keys (32 bytes each,
/// drawn again while not a valid scalar).
/// Throws CardError(CardRefused) "PACE failed: the CAN does not match the card (N attempts left)"
/// when the chip answers the last step with 63Cx / 6300, and when it refuses MSE:Set AT (6983: the
/// CAN is blocked) or a step, or its token T_IC does not verify; Error(InvalidInput) for a
/// malformed password; ParseError for malformed dynamic authentication data or points off the curve.
PaceSession perform_pace(transport::CardChannel& card, const PaceParameters& params,
                         crypto::pace::PasswordKind kind, std::string_view password,
                         const crypto::RandomSource& random);

/// perform_pace(), returning the AES secure messaging channel over `card` (which must outlive it).
SecureChannel establish_pace(transport::CardChannel& card, const PaceParameters& params,
                             crypto::pace::PasswordKind kind, std::string_view password,
                             const crypto::RandomSource& random = crypto::system_random());

/// The AES secure messaging channel (Part 11 9.8.6.2, SSC zero) of an established PACE session.
SecureChannel open_pace_channel(transport::CardChannel& card, PaceSession session);

}  // namespace docketcard::sm
