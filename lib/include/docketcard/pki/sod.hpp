// The Document Security Object EF.SOD (ICAO Doc 9303 Part 10, 4.6.2) and the Document Signer
// and CSCA certificates it relies on (Doc 9303 Part 12).
//
//   EF.SOD = 77 L { ContentInfo (RFC 5652 3) { SignedData (RFC 5652 5.1) {
//       eContentType id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1,
//       eContent LDSSecurityObject { version 0, hashAlgorithm sha256,
//                                    dataGroupHashValues { { n, SHA-256(DGn) } ... } },
//       certificates { Document Signer certificate },
//       signerInfos { one SignerInfo: ECDSA-SHA256 over the signed attributes
//                     content-type, message-digest, signing-time (RFC 5652 5.3, 11) } } } }
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/bytes.hpp"

struct x509_st;  // OpenSSL's X509

namespace docketcard::pki {

/// The signing seam of EF.SOD: makes the ECDSA signature of a SHA-256 digest with the Document
/// Signer's private key, wherever that key is kept (a file in memory: file_signer; a PKCS#11
/// token: keys::, C_Sign with CKM_ECDSA). sign_sod builds the CMS itself and asks only for this
/// one signature over the digest of the signed attributes (RFC 5652 5.4).
class DigestSigner {
public:
    virtual ~DigestSigner() = default;
    /// DER Ecdsa-Sig-Value (SEC 1 C.5) over the 32-byte SHA-256 `digest`. Throws Error (kind by
    /// cause: Communication when the token went away, Internal otherwise).
    virtual Bytes sign_digest(ByteView digest) const = 0;
    /// Where the key is, for messages and plans ("document-signer.key", a PKCS#11 URI).
    virtual std::string origin() const = 0;
    /// Whether sign_sod checks every signature against the certificate before it writes EF.SOD:
    /// true for a key outside this process (a token answers with whatever it answers); false for
    /// an in-memory OpenSSL key, whose pairing with the certificate was checked when the Document
    /// Signer was made (make_document_signer, load_document_signer).
    virtual bool check_each_signature() const { return true; }
    /// Whether sign_digest() may be called from several threads at once: true for an in-memory
    /// OpenSSL key (each call has its own EVP_PKEY_CTX; OpenSSL 3 keys are safe to share read-only),
    /// false for a token session (PKCS#11 2.40 6.7.6: one operation a session at a time).
    virtual bool concurrent() const { return false; }
};

/// A DigestSigner over a private key held in memory (the keys folder's document-signer.key).
std::shared_ptr<const DigestSigner> file_signer(crypto::EcPrivateKey key, std::string origin);

/// What every EF.SOD a Document Signer signs has in common (its certificate, SignerInfo sid,
/// algorithm identifiers), as DER taken once from OpenSSL's CMS encoding (pki/sod.cpp).
struct SodLayout;

/// A Document Signer (Doc 9303 Part 12, 7.1.1): its X.509 certificate and private key.
struct DocumentSigner {
    Bytes certificate_der;
    std::shared_ptr<const DigestSigner> key;
    std::string subject;   ///< one-line subject DN, for summaries
    /// The certificate parsed once, by the factories below; sign_sod parses certificate_der when
    /// it is unset (OpenSSL's certificate decoding costs more than the signature).
    std::shared_ptr<x509_st> parsed;
    /// Set by the factories below when a SignedData built from it was byte for byte the one
    /// OpenSSL's CMS encoder builds: sign_sod then encodes the DER itself (a tenth of the cost).
    /// Unset: sign_sod uses OpenSSL's CMS encoder for every EF.SOD.
    std::shared_ptr<const SodLayout> layout;
};

/// Pairs a DER certificate with a signer, checking that the signer's key belongs to the
/// certificate (a test digest signed by `key` verifies with the certificate's public key).
/// Throws Error(InvalidInput) naming `cert_origin` and the signer's origin on a mismatch or a
/// malformed certificate.
DocumentSigner make_document_signer(ByteView certificate_der, std::shared_ptr<const DigestSigner> key,
                                    const std::string& cert_origin);

/// Builds a Document Signer from PEM texts; checks that the key belongs to the certificate.
/// Throws Error(InvalidInput) naming `origin` on a malformed certificate or key or a mismatch.
DocumentSigner document_signer_from_pem(const std::string& certificate_pem, const std::string& key_pem,
                                        const std::string& origin);
/// Reads DIR/document-signer.pem and DIR/document-signer.key (keys-sample/README.md). Throws
/// Error(InvalidInput) naming the file that is missing, unreadable or malformed.
DocumentSigner load_document_signer(const std::filesystem::path& dir);

/// Reads an X.509 certificate file, PEM or DER, and returns its DER. Throws Error(InvalidInput).
Bytes load_certificate(const std::filesystem::path& file);
/// Converts a PEM or DER certificate held in memory to DER. Throws ParseError.
Bytes certificate_to_der(ByteView pem_or_der, const std::string& origin);
/// One-line subject DN of a DER certificate ("C=US, O=..., CN=...").
std::string certificate_subject(ByteView der);

/// DER LDSSecurityObject version 0 (Doc 9303 Part 10, 4.6.2.2) with SHA-256 (parameters absent,
/// RFC 5754 2) over the full bytes of every data group in `data_groups` (DG number -> bytes).
Bytes encode_lds_security_object(const std::map<int, Bytes>& data_groups);
/// The same from each data group's SHA-256 (DG number -> 32 bytes), for a caller that has them.
Bytes encode_lds_security_object_from_hashes(const std::map<int, Bytes>& dg_sha256);

/// Options of sign_sod.
struct SignOptions {
    /// Signing time written as the signing-time attribute (RFC 5652 11.3); the current time when
    /// unset. Set it for reproducible test output.
    std::optional<std::time_t> signing_time;
    /// For a size estimate only (a progress total before the chip's key exists): the signature is
    /// a placeholder of the largest DER length a P-256 ECDSA signature has (72 bytes: two 33-byte
    /// INTEGERs), and the signer's key is not used (no token operation). Not a valid EF.SOD.
    bool size_estimate = false;
    /// Encode with OpenSSL's CMS encoder even when the signer has a layout (tests compare both).
    bool openssl_encoder = false;
};

/// Builds EF.SOD (with its 77 wrapper) over `data_groups` (DG number -> full EF bytes), signed by
/// `signer` with ECDSA-SHA256 and carrying the signer's certificate (Doc 9303 Part 10, 4.6.2;
/// RFC 5652 5). docketcard builds the SignedData; the signature over the DER of the signed
/// attributes (RFC 5652 5.4: content-type, message-digest, signing-time) comes from
/// `signer.key->sign_digest` and is checked against the certificate before EF.SOD is returned.
/// Throws Error(Internal) when OpenSSL fails or the signature does not verify, and passes on the
/// signer's errors.
Bytes sign_sod(const std::map<int, Bytes>& data_groups, const DocumentSigner& signer, const SignOptions& options = {});
/// sign_sod from each data group's SHA-256 (DG number -> 32 bytes) instead of its bytes.
Bytes sign_sod_from_hashes(const std::map<int, Bytes>& dg_sha256, const DocumentSigner& signer,
                           const SignOptions& options = {});

/// The content of an EF.SOD, parsed but not yet verified.
struct ParsedSod {
    Bytes cms_der;                     ///< the ContentInfo without the 77 wrapper
    int lso_version = 0;
    std::string hash_algorithm;        ///< "sha256", "sha1", "sha384", "sha512"
    std::map<int, Bytes> hashes;       ///< DG number -> hash value
    Bytes ds_certificate_der;          ///< the first certificate in SignedData.certificates
    std::optional<std::time_t> signing_time;
    /// For a size estimate only (a progress total before the chip's key exists): the signature is
    /// a placeholder of the largest DER length a P-256 ECDSA signature has (72 bytes: two 33-byte
    /// INTEGERs), and the signer's key is not used (no token operation). Not a valid EF.SOD.
    bool size_estimate = false;
};
/// Parses EF.SOD (bounds-checked): the 77 wrapper, the CMS SignedData, the eContentType, the
/// LDSSecurityObject and the Document Signer certificate. Throws ParseError with what is wrong.
ParsedSod parse_sod(ByteView ef_sod);

/// One verification step and its outcome.
struct Check {
    std::string name;      ///< stable id: "sod.structure", "sod.signature", "ds.chain", "ds.validity", "dg2.hash"...
    bool passed = false;
    std::string message;   ///< what was checked and, on failure, why it failed
};

/// The outcome of verify_sod: every check, in order, plus what was read.
struct SodVerification {
    std::vector<Check> checks;
    std::optional<ParsedSod> sod;   ///< absent when EF.SOD could not be parsed
    std::string signer_subject;
    /// True when every check passed.
    bool ok() const noexcept;
    /// The failed checks' messages, one per line.
    std::string failures() const;
};

/// Verifies an EF.SOD (Doc 9303 Part 11, 5.1 passive authentication steps):
///   sod.structure   EF.SOD parses (77, SignedData, eContentType 2.23.136.1.1.1, LDSSecurityObject)
///   sod.signature   the SignerInfo signature and message-digest verify with the DS certificate
///   ds.chain        the DS certificate chains to `csca_certificate` (purpose any, time not checked)
///   ds.validity     the DS and CSCA certificates are valid at `at`
///   dgN.hash        for each DG in `data_groups` and each DG listed in the SOD: the hash matches
/// Never throws for bad outside bytes: each problem is a failed check. `csca_certificate` is PEM
/// or DER; a malformed CSCA certificate throws Error(InvalidInput).
SodVerification verify_sod(ByteView ef_sod, ByteView csca_certificate, const std::map<int, Bytes>& data_groups,
                           std::time_t at);

}  // namespace docketcard::pki
