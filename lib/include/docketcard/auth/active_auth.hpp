// Active Authentication, terminal side (ICAO Doc 9303 Part 11 6.1): the chip proves it holds the
// private key of DG15 by signing a challenge with INTERNAL AUTHENTICATE (ISO/IEC 7816-4 11.5.2).
// docketcard cards use ECDSA over SHA-256 on P-256 with the plain r || s signature format
// (BSI TR-03111 5.2.1), as Part 11 6.1 requires for ECDSA.
#pragma once

#include <string>

#include "docketcard/crypto/random.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::auth {

/// Outcome of one Active Authentication.
struct ActiveAuthResult {
    bool valid = false;       ///< the signature verifies with the DG15 key
    Bytes challenge;          ///< the 8 bytes sent
    Bytes signature;          ///< what the chip answered
    std::string detail;       ///< one sentence for reports, e.g. why it is not valid
};

/// Sends INTERNAL AUTHENTICATE (00 88 00 00 08 challenge 00) through `sm` (normally the BAC
/// SecureChannel) and verifies the answer as a plain ECDSA-SHA256 signature over the challenge
/// (Part 11 6.1.2) with the key of `dg15`: either the DG15 file (tag 6F) or the
/// SubjectPublicKeyInfo it holds. A signature that does not verify, or has the wrong length, gives
/// valid = false (not an exception). Throws CardError(CardRefused) when the chip refuses the
/// command, ParseError for a malformed DG15 or a key that is not P-256, and Error(InvalidInput)
/// for a challenge that is not 8 bytes.
ActiveAuthResult verify_active_authentication(transport::CardChannel& sm, ByteView dg15, ByteView challenge);

/// As above with a fresh random 8-byte challenge.
ActiveAuthResult verify_active_authentication(transport::CardChannel& sm, ByteView dg15,
                                              const crypto::RandomSource& random = crypto::system_random());

}  // namespace docketcard::auth
