// Chip Authentication, terminal side (ICAO Doc 9303 Part 11 6.2 and 9.2.5-9.2.6): the chip proves it
// holds the private key of the Chip Authentication public key of DG14 (signed through EF.SOD) by
// agreeing on new secure messaging keys with an ephemeral key of the terminal; a clone that copied
// the data groups but not the key cannot answer under them. With AES (Part 11 6.2.4, 9.2.5):
//
//   terminal (inside the PACE or BAC session)           chip
//   MSE:Set AT  00 22 41 A4  80 <CA OID> [84 key id] ->  9000
//   GA          00 86 00 00  7C {80 PK_DH,IFD}        ->  7C 00           (still under the old keys)
//   K = x(SK_DH,IFD · PK_IC)   KSenc = KDF(K, 1), KSmac = KDF(K, 2)   (Part 11 9.7.1)   SSC = 0
//   every later command under the new keys; the first one that verifies proves the chip genuine.
#pragma once

#include <optional>

#include "docketcard/crypto/pace.hpp"
#include "docketcard/crypto/random.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/transport/channel.hpp"

namespace docketcard::sm {

/// The chip's Chip Authentication key as DG14 announces it (ChipAuthenticationInfo and
/// ChipAuthenticationPublicKeyInfo, Part 11 9.2.5, 9.2.6).
struct ChipAuthKey {
    crypto::pace::Protocol protocol = crypto::pace::Protocol::CaEcdhAes128;
    crypto::pace::DomainId domain = crypto::pace::DomainId::BrainpoolP256r1;
    Bytes public_point;                ///< PK_IC, 04 || X || Y
    std::optional<int> key_id;
};

/// Runs Chip Authentication through `session` (the open PACE or BAC channel, whose keys protect
/// the two commands) and returns the AES secure messaging channel over `raw` (the channel below
/// `session`, which must outlive the result) with the new keys and SSC zero. `random` gives the
/// ephemeral private key (drawn again while not a valid scalar).
/// Throws CardError(CardRefused) when the chip refuses MSE:Set AT or GENERAL AUTHENTICATE, and
/// ParseError when PK_IC is not a point of the domain or the answer is not 7C 00.
SecureChannel perform_chip_authentication(transport::CardChannel& session, transport::CardChannel& raw,
                                          const ChipAuthKey& key, const crypto::RandomSource& random);

}  // namespace docketcard::sm
