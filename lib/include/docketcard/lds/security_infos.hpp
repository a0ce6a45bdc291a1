// SecurityInfos (ICAO Doc 9303 Part 11 9.2): the DER SET that EF.CardAccess (file 011C, read in the
// clear, Part 11 9.2.11 / Part 10 3.11.2) and DG14 hold, telling a terminal which PACE, Chip
// Authentication and Active Authentication protocols the chip supports.
//
//   SecurityInfos ::= SET OF SecurityInfo
//   SecurityInfo  ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//   PACEInfo      ::= SEQUENCE { protocol id-PACE-*, version INTEGER (2), parameterId INTEGER OPTIONAL }  (9.2.1)
//
// Parsing reads outside bytes: every length is bounds-checked (tlv::Reader) and a malformed SET
// throws ParseError naming the element; SecurityInfos of protocols we do not know are kept by OID
// only, as 9.2 asks (a terminal ignores what it does not understand).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "docketcard/crypto/pace.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::lds {

/// File identifier of EF.CardAccess (Part 10 3.11.2; short EF identifier 1C).
inline constexpr std::uint16_t fid_card_access = 0x011C;

/// One PACEInfo (Part 11 9.2.1).
struct PaceInfo {
    Bytes protocol_oid;                                ///< DER content octets of the OID
    int version = 0;                                   ///< 2 for Doc 9303 PACE
    std::optional<int> parameter_id;                   ///< standardized domain parameters (9.5.1)
    std::optional<crypto::pace::Protocol> protocol;    ///< set when docketcard speaks it

    /// True for a PACEInfo docketcard can run: a known protocol, version 2, parameter 12 or 13.
    bool usable() const noexcept;
    /// The domain parameters (parameter_id; Part 11 says it is required for standardized domains).
    crypto::pace::DomainId domain() const;
};

/// One ChipAuthenticationInfo (Part 11 9.2.5): the CA protocol and its version (1).
struct ChipAuthInfo {
    Bytes protocol_oid;
    int version = 0;
    std::optional<int> key_id;
    std::optional<crypto::pace::Protocol> protocol;   ///< set for id-CA-ECDH-AES-CBC-CMAC-128/-256
};

/// One ChipAuthenticationPublicKeyInfo (Part 11 9.2.6) with an ECDH key (id-PK-ECDH) on a named
/// curve docketcard knows (brainpoolP256r1 or NIST P-256).
struct ChipAuthPublicKey {
    crypto::pace::DomainId domain = crypto::pace::DomainId::BrainpoolP256r1;
    Bytes public_point;   ///< 04 || X || Y
    std::optional<int> key_id;
};

/// The SecurityInfos of EF.CardAccess or DG14, as far as docketcard reads them.
struct SecurityInfos {
    std::vector<PaceInfo> pace;
    std::vector<ChipAuthInfo> chip_auth;
    std::vector<ChipAuthPublicKey> chip_auth_keys;   ///< id-PK-ECDH keys on known curves
    std::vector<Bytes> other_oids;   ///< protocols of every other SecurityInfo, in order

    /// The first usable PACEInfo, or nullptr.
    const PaceInfo* usable_pace() const noexcept;
    /// True when a ChipAuthenticationInfo is present (Part 11 9.2.5: the chip supports CA).
    bool offers_chip_auth() const noexcept { return !chip_auth.empty(); }
};

/// Parses a SecurityInfos SET (the whole content of EF.CardAccess; DG14's value inside tag 6E).
/// Throws ParseError naming `context` on anything but a DER SET of SEQUENCEs that each begin with
/// an OBJECT IDENTIFIER, and on a PACEInfo whose version or parameter is not a small INTEGER.
SecurityInfos parse_security_infos(ByteView der, const std::string& context = "SecurityInfos");

/// EF.CardAccess with one PACEInfo for `protocol` version 2 on `domain` (Part 11 9.2.1, 9.2.11).
Bytes encode_card_access(crypto::pace::Protocol protocol, crypto::pace::DomainId domain);

/// DG14 (Part 10 4.7.14) of a PACE and Chip Authentication card: 6E { SET { ActiveAuthenticationInfo
/// (ecdsa-with-SHA256), PACEInfo (as EF.CardAccess: DG14 is signed, EF.CardAccess is not, 9.2.11),
/// ChipAuthenticationInfo (id-CA-ECDH-AES-CBC-CMAC-128, version 1), ChipAuthenticationPublicKeyInfo
/// (id-PK-ECDH, SubjectPublicKeyInfo id-ecPublicKey on brainpoolP256r1 with `ca_point`) } }.
Bytes encode_dg14_pace_ca(ByteView ca_point);

/// The SecurityInfos inside DG14 (tag 6E); ParseError as parse_security_infos.
SecurityInfos parse_dg14(ByteView dg14);

}  // namespace docketcard::lds
