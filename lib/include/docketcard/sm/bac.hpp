// Basic Access Control, terminal side (ICAO Doc 9303 Part 11 9.7 and its worked example in
// Appendix D): document basic access keys from the MRZ, the GET CHALLENGE / MUTUAL AUTHENTICATE
// exchange, and the 3DES secure messaging session that follows.
//
// Typical use (verify side):
//
//     auto sm = sm::establish_bac(card, td1.bac_information());   // throws CardError on a wrong MRZ
//     Bytes com = iso7816::read_ef(sm, 0x011E);                     // plain APDUs, protected on the wire
#pragma once

#include <string_view>

#include "docketcard/crypto/random.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::sm {

/// The document basic access keys Kenc and Kmac (Doc 9303 Part 11 9.7.2, D.2).
struct BacKeys {
    SecureBytes k_enc;
    SecureBytes k_mac;

    /// Derives the keys from the "MRZ information": document number || check digit || date of
    /// birth || check digit || date of expiry || check digit (mrz::Td1::bac_information()).
    /// Throws Error(InvalidInput) for characters outside 0-9 A-Z < or a string shorter than 24
    /// characters (the value itself is never put in the message).
    static BacKeys from_mrz_information(std::string_view mrz_information);
};

/// What a successful BAC produces (Part 11 9.7.4.3, 9.8.2): the session keys KSenc and KSmac
/// derived from K.IFD xor K.IC, and the initial send sequence counter RND.IC[4..8] || RND.IFD[4..8].
struct BacSession {
    SecureBytes ks_enc;
    SecureBytes ks_mac;
    Bytes ssc;
};

/// Runs the BAC key establishment of Part 11 9.7.4 on `card` (the eMRTD application already
/// selected): GET CHALLENGE, then MUTUAL AUTHENTICATE with E.IFD || M.IFD, then checks M.IC and
/// RND.IFD / RND.IC in the card's answer. `random` is called twice: 8 bytes RND.IFD, then 16 bytes
/// K.IFD.
/// Throws CardError(CardRefused, "BAC failed: the MRZ data ... does not match the card", sw) when
/// the card refuses MUTUAL AUTHENTICATE; CardError(WrongCardState) when GET CHALLENGE is refused
/// with 6985 (no BAC secret on the card); CardError(CardRefused) when the card's answer does not
/// verify; ParseError on answers of the wrong length.
BacSession perform_bac(transport::CardChannel& card, const BacKeys& keys, const crypto::RandomSource& random);

/// perform_bac() with keys from the MRZ information, returning the secure messaging channel over
/// `card` (which must outlive it). Send plain APDUs through the result.
SecureChannel establish_bac(transport::CardChannel& card, std::string_view mrz_information,
                            const crypto::RandomSource& random = crypto::system_random());

/// The 3DES secure messaging channel (Part 11 9.8) of an established BAC session.
SecureChannel open_bac_channel(transport::CardChannel& card, BacSession session);

}  // namespace docketcard::sm
