// The arithmetic of PACE with the generic mapping over ECDH (ICAO Doc 9303 Part 11 4.4, BSI
// TR-03110-2 3.2) and of Chip Authentication's key agreement (Part 11 6.2), shared by the card side
// (applets/) and the terminal side (sm/pace, sm/chip_auth). Protocol state and APDUs live there;
// this file holds only the functions of the worked example of Part 11 Appendix G.1:
//
//   K     = f(password)                 MRZ: SHA-1(MRZ information); CAN: its digits (ISO 8859-1)
//   Kπ    = KDF(K, 3)                   Part 11 9.7.1
//   s     = D(Kπ, z)                    AES-CBC, IV zero: the nonce the chip sent encrypted
//   H     = SK_Map,x · PK_Map,y         the mapping ECDH, a point
//   Ĝ     = s · G + H                   generic mapping (Part 11 4.4.3.3.1)
//   PK_DH = SK_DH · Ĝ;  K = x(SK_DH,x · PK_DH,y)
//   KSenc = KDF(K, 1), KSmac = KDF(K, 2)
//   T     = CMAC(KSmac, 7F49 {06 OID, 86 PK_DH,other})[0..8]   (Part 11 4.4.3.4, 9.4.8)
//
// Points are uncompressed octet strings 04 || X || Y; scalars big-endian, field-size long. Every
// point read from outside is checked to lie on the curve and not to be the point at infinity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "docketcard/util/bytes.hpp"

namespace docketcard::crypto::pace {

/// The standardized domain parameters PACE and CA use here (Part 11 9.5.1 table 6).
enum class DomainId : std::uint8_t {
    NistP256 = 12,
    BrainpoolP256r1 = 13,
};

/// The PACE and Chip Authentication protocols docketcard speaks (Part 11 9.2.1 / 9.2.5 OIDs).
enum class Protocol {
    PaceEcdhGmAes128,  ///< id-PACE-ECDH-GM-AES-CBC-CMAC-128, 0.4.0.127.0.7.2.2.4.2.2
    PaceEcdhGmAes256,  ///< id-PACE-ECDH-GM-AES-CBC-CMAC-256, 0.4.0.127.0.7.2.2.4.2.4
    CaEcdhAes128,      ///< id-CA-ECDH-AES-CBC-CMAC-128, 0.4.0.127.0.7.2.2.3.2.2
    CaEcdhAes256,      ///< id-CA-ECDH-AES-CBC-CMAC-256, 0.4.0.127.0.7.2.2.3.2.4
};

/// DER content octets of the protocol's OID (without tag 06 and length).
Bytes oid(Protocol p);
/// The protocol whose OID content octets are `oid`, if docketcard speaks it.
bool protocol_from_oid(ByteView oid, Protocol& out) noexcept;
/// Session key length in bytes: 16 for the -128 protocols, 32 for -256.
std::size_t key_length(Protocol p) noexcept;

/// Which password PACE uses (Part 11 4.4.4.1 / 9.6.1: MSE:Set AT tag 83 reference 01 MRZ, 02 CAN).
enum class PasswordKind : std::uint8_t { Mrz = 0x01, Can = 0x02 };

/// Part 11 9.7.1 key derivation for AES: SHA-1(secret || counter)[0..16] for 16-byte keys,
/// SHA-256(secret || counter) for 32-byte keys. counter 1: KSenc, 2: KSmac, 3: Kπ.
SecureBytes kdf_aes(ByteView secret, std::uint32_t counter, std::size_t key_length);

/// K = f(π) (Part 11 4.4.4.1 / 9.7.3): the MRZ password is SHA-1 of the MRZ information (document
/// number || check digit || date of birth || check digit || date of expiry || check digit); the
/// CAN is its own characters. Throws Error(InvalidInput) for a CAN that is not 6 digits or an MRZ
/// information outside 0-9 A-Z < (the value is never put in a message).
SecureBytes password_secret(PasswordKind kind, std::string_view password);
/// Kπ = KDF(f(π), 3) of the protocol's key length.
SecureBytes password_key(Protocol p, PasswordKind kind, std::string_view password);

/// z = E(Kπ, s) and s = D(Kπ, z): AES-CBC with IV zero over the nonce (a multiple of 16 bytes).
Bytes encrypt_nonce(ByteView k_pi, ByteView nonce);
SecureBytes decrypt_nonce(ByteView k_pi, ByteView encrypted_nonce);

/// An elliptic-curve domain of DomainId, with the point operations PACE needs. Cheap to copy;
/// the OpenSSL group is shared and immutable.
class Domain {
public:
    /// Throws Error(InvalidInput) for an id other than 12 or 13.
    static const Domain& get(DomainId id);

    DomainId id() const noexcept { return id_; }
    /// Field size in bytes (32).
    std::size_t field_size() const noexcept { return 32; }
    /// The standard generator G, encoded.
    Bytes generator() const;
    /// Whether 0 < d < n (the order): a valid private scalar of field_size() bytes.
    bool valid_scalar(ByteView d) const;
    /// d · P. Throws ParseError when `point` is not an uncompressed point on the curve or is the
    /// point at infinity, or the result is the point at infinity.
    Bytes multiply(ByteView point, ByteView scalar) const;
    /// Ĝ = s · G + H, the generic mapping (Part 11 4.4.3.3.1); `h` is checked like a point read
    /// from outside. The nonce s is read as a big-endian integer.
    Bytes map_generic(ByteView nonce, ByteView h) const;
    /// The x-coordinate of d · P, field_size() bytes: the ECDH shared secret (BSI TR-03111 4.3.1).
    SecureBytes shared_secret(ByteView scalar, ByteView point) const;
    /// Throws ParseError unless `point` is an uncompressed point on the curve other than infinity.
    void check_point(ByteView point) const;

    /// The OpenSSL EC_GROUP (const EC_GROUP*), for callers that build keys on it.
    const void* group() const noexcept { return group_; }

private:
    Domain(DomainId id, void* group) : id_(id), group_(group) {}
    DomainId id_;
    void* group_;
};

/// The authentication token of Part 11 4.4.3.4: CMAC over the public key data object
/// 7F49 {06 OID, 86 point} (Part 11 9.4.8 ECDH public key), truncated to 8 bytes.
Bytes authentication_token(ByteView ks_mac, Protocol p, ByteView other_public_point);
/// The data the token covers (exposed for tests against the worked example).
Bytes token_input(Protocol p, ByteView public_point);

/// Session keys KSenc = KDF(K, 1) and KSmac = KDF(K, 2) from the shared secret (Part 11 4.4.3.3.2).
struct SessionKeys {
    SecureBytes ks_enc;
    SecureBytes ks_mac;
};
SessionKeys derive_session_keys(Protocol p, ByteView shared_secret);

}  // namespace docketcard::crypto::pace
