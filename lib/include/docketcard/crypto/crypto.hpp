// Thin, typed wrappers over OpenSSL 3 for the primitives docketcard needs. No primitive is
// implemented here: each function calls OpenSSL and throws Error(Internal) when OpenSSL fails.
// Used by both the terminal library and the card side (applets/).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "docketcard/util/bytes.hpp"

namespace docketcard::crypto {

/// SHA-1 (FIPS 180-4): only where ICAO Doc 9303 Part 11 9.7.1 requires it (BAC key derivation).
Bytes sha1(ByteView data);
/// SHA-256 (FIPS 180-4): LDS data group hashes (Doc 9303 Part 10 4.6.2), tickets, reports.
Bytes sha256(ByteView data);
/// SHA-384 (FIPS 180-4).
Bytes sha384(ByteView data);
/// SHA-512 (FIPS 180-4).
Bytes sha512(ByteView data);

/// Fills `out` from OpenSSL's CSPRNG (RAND_bytes).
void random_bytes(std::span<std::uint8_t> out);
/// `n` bytes from OpenSSL's CSPRNG (RAND_bytes).
Bytes random_bytes(std::size_t n);

/// ISO/IEC 9797-1 padding method 2: 0x80 then zeros up to a multiple of `block`.
Bytes pad_m2(ByteView data, std::size_t block);
/// Removes padding method 2; throws ParseError when the padding is malformed.
Bytes unpad_m2(ByteView data);

/// Sets the odd parity bit of every byte of a DES key (ICAO Doc 9303 Part 11, 9.7.1).
void set_des_parity(std::span<std::uint8_t> key);

/// Two-key 3DES (16-byte key) in CBC mode without padding; data must be a multiple of 8 bytes
/// (Doc 9303 Part 11 9.8.6.1: BAC and 3DES secure messaging encryption, IV zero).
Bytes des3_cbc_encrypt(ByteView key16, ByteView iv8, ByteView data);
/// Inverse of des3_cbc_encrypt.
Bytes des3_cbc_decrypt(ByteView key16, ByteView iv8, ByteView data);

/// ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with DES, over data already padded to 8 bytes
/// (ICAO Doc 9303 Part 11, 9.8.6.1). Returns 8 bytes.
Bytes retail_mac(ByteView key16, ByteView padded_data);

/// AES (128/192/256 by key size) on one block, ECB, no padding.
Bytes aes_ecb_encrypt(ByteView key, ByteView block16);
/// AES-CBC without padding; data must be a multiple of 16 bytes.
Bytes aes_cbc_encrypt(ByteView key, ByteView iv16, ByteView data);
/// Inverse of aes_cbc_encrypt (GP Amendment D 6.2.7: R-ENCRYPTION).
Bytes aes_cbc_decrypt(ByteView key, ByteView iv16, ByteView data);
/// AES-CMAC (NIST SP 800-38B), full 16 bytes.
Bytes aes_cmac(ByteView key, ByteView data);

/// An EC key pair on NIST P-256 (secp256r1), or any named curve read from a key file.
class EcPrivateKey {
public:
    /// Generates a fresh P-256 key with OpenSSL's CSPRNG.
    static EcPrivateKey generate_p256();
    /// Reads a PEM private key (PKCS#8 or SEC1). Throws Error(InvalidInput) naming `origin`.
    static EcPrivateKey from_pem(const std::string& pem, const std::string& origin);
    /// Rebuilds a P-256 key from its 32-byte private scalar.
    static EcPrivateKey from_scalar_p256(ByteView scalar);

    EcPrivateKey(EcPrivateKey&&) noexcept;
    EcPrivateKey& operator=(EcPrivateKey&&) noexcept;
    ~EcPrivateKey();

    /// The private scalar, big-endian, padded to the field size (for the card's persistent store).
    SecureBytes scalar() const;
    /// Uncompressed public point 04 || X || Y.
    Bytes public_point() const;
    /// DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7) of the public key.
    Bytes public_key_spki() const;
    /// ECDSA over SHA-256 of `message`, in the plain r || s format (BSI TR-03111 5.2.1),
    /// as ICAO Doc 9303 Part 11 6.1 requires for ECDSA Active Authentication.
    Bytes sign_sha256_plain(ByteView message) const;
    /// ECDSA over SHA-256 of `message`, DER-encoded (for CMS).
    Bytes sign_sha256_der(ByteView message) const;
    /// ECDSA over an already computed digest (FIPS 186-5 6.4.1 from step 2 on), DER-encoded
    /// Ecdsa-Sig-Value (RFC 5480 2.2 / SEC 1 C.5): what CMS SignerInfo.signature holds.
    Bytes sign_digest_der(ByteView digest) const;
    /// The OpenSSL EVP_PKEY, for CMS signing; owned by this object.
    void* evp_pkey() const noexcept { return pkey_; }

private:
    explicit EcPrivateKey(void* pkey);
    void* pkey_ = nullptr;
    // An EVP_PKEY_CTX initialized for signing once (fetching the provider's ECDSA is a sixth of a
    // signature's time); sign_digest_der signs with a copy of it, so threads never share one.
    void* sign_ctx_ = nullptr;
};

/// Verifies a plain r || s ECDSA-SHA256 signature against a DER SubjectPublicKeyInfo.
/// Returns false on a bad signature; throws ParseError when the key or signature is malformed.
bool verify_sha256_plain(ByteView spki_der, ByteView message, ByteView signature);
/// Plain r || s ECDSA signature (BSI TR-03111 5.2.1; what PKCS#11 CKM_ECDSA returns, PKCS#11
/// 3.0 2.3.1) to the DER Ecdsa-Sig-Value of SEC 1 C.5. Throws ParseError for an odd or empty size.
Bytes ecdsa_plain_to_der(ByteView plain);
/// Converts a DER SubjectPublicKeyInfo of a P-256 key to its uncompressed point (65 bytes);
/// throws ParseError for malformed input or a key on another curve.
Bytes spki_to_point(ByteView spki_der);
/// Builds a P-256 DER SubjectPublicKeyInfo from an uncompressed point; throws ParseError.
Bytes point_to_spki_p256(ByteView point);

}  // namespace docketcard::crypto
