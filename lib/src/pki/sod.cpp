// EF.SOD signing and verification with OpenSSL CMS (RFC 5652; ICAO Doc 9303 Part 10 4.6.2,
// Part 11 5.1, Part 12).

#include "docketcard/pki/sod.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>

#include <fmt/core.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::pki {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;

void free_cert_stack(STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); }
using CertStackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_cert_stack>>;

constexpr const char* kLdsSecurityObjectOid = "2.23.136.1.1.1";

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "no OpenSSL detail" : out;
}

[[noreturn]] void fail_internal(const std::string& what) {
    throw Error(ErrorKind::Internal, fmt::format("{} failed: {}", what, openssl_errors()));
}

X509Ptr x509_from_der(ByteView der) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size()) {
        ERR_clear_error();
        throw ParseError("certificate is not a well-formed DER X.509 certificate");
    }
    return cert;
}

Bytes x509_to_der(X509* cert) {
    const int n = i2d_X509(cert, nullptr);
    if (n <= 0) fail_internal("i2d_X509");
    Bytes out(static_cast<std::size_t>(n));
    unsigned char* p = out.data();
    i2d_X509(cert, &p);
    return out;
}

std::string read_text_file(const std::filesystem::path& file, const char* what) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("cannot read {} {}: file missing or unreadable", what, file.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string subject_of(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

struct HashAlg {
    const char* name;
    const char* oid_der;   // full DER of the OID (06 len ...)
    Bytes (*fn)(ByteView);
};
const HashAlg kHashAlgs[] = {
    {"sha256", "0609608648016503040201", crypto::sha256},
    {"sha384", "0609608648016503040202", crypto::sha384},
    {"sha512", "0609608648016503040203", crypto::sha512},
    {"sha1", "06052B0E03021A", crypto::sha1},
};

const HashAlg* hash_by_oid(ByteView oid_der) {
    for (const auto& h : kHashAlgs)
        if (from_hex(h.oid_der) == Bytes(oid_der.begin(), oid_der.end())) return &h;
    return nullptr;
}

int small_integer(const tlv::Object& o, const char* what) {
    if (o.tag != 0x02 || o.value.empty() || o.value.size() > 2 || (o.value[0] & 0x80))
        throw ParseError(fmt::format("LDSSecurityObject: {} is not a small non-negative INTEGER", what));
    int v = 0;
    for (auto b : o.value) v = (v << 8) | b;
    return v;
}

}  // namespace

// ---- certificates and keys

Bytes certificate_to_der(ByteView pem_or_der, const std::string& origin) {
    if (!pem_or_der.empty() && pem_or_der[0] == 0x30) {
        try {
            return x509_to_der(x509_from_der(pem_or_der).get());
        } catch (const ParseError&) {
            throw ParseError(fmt::format("{}: not a well-formed DER X.509 certificate", origin));
        }
    }
    BioPtr bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        ERR_clear_error();
        throw ParseError(fmt::format("{}: not a PEM or DER X.509 certificate", origin));
    }
    return x509_to_der(cert.get());
}

Bytes load_certificate(const std::filesystem::path& file) {
    const std::string text = read_text_file(file, "certificate");
    try {
        return certificate_to_der(to_bytes(text), file.string());
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, e.what());
    }
}

std::string certificate_subject(ByteView der) { return subject_of(x509_from_der(der).get()); }

namespace {

std::shared_ptr<const SodLayout> make_layout(X509* cert);  // below, with the signing code

class FileSigner final : public DigestSigner {
public:
    FileSigner(crypto::EcPrivateKey key, std::string origin) : key_(std::move(key)), origin_(std::move(origin)) {}
    Bytes sign_digest(ByteView digest) const override { return key_.sign_digest_der(digest); }
    std::string origin() const override { return origin_; }
    bool check_each_signature() const override { return false; }
    bool concurrent() const override { return true; }

private:
    crypto::EcPrivateKey key_;
    std::string origin_;
};

DocumentSigner make_signer(const std::string& certificate_pem, const std::string& key_pem,
                           const std::string& cert_origin, const std::string& key_origin) {
    Bytes der;
    try {
        der = certificate_to_der(to_bytes(certificate_pem), cert_origin);
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, e.what());
    }
    auto key = crypto::EcPrivateKey::from_pem(key_pem, key_origin);
    auto cert = x509_from_der(der);
    if (X509_check_private_key(cert.get(), static_cast<EVP_PKEY*>(key.evp_pkey())) != 1) {
        ERR_clear_error();
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{} does not hold the private key of {}", key_origin, cert_origin));
    }
    std::string subject = subject_of(cert.get());
    auto layout = make_layout(cert.get());
    return DocumentSigner{std::move(der), file_signer(std::move(key), key_origin), std::move(subject),
                          std::shared_ptr<x509_st>(cert.release(), X509_free), std::move(layout)};
}

bool verify_digest(X509* cert, ByteView digest, ByteView der_signature) {
    EVP_PKEY* pub = X509_get0_pubkey(cert);
    if (!pub) return false;
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>> ctx(EVP_PKEY_CTX_new(pub, nullptr));
    const bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                    EVP_PKEY_verify(ctx.get(), der_signature.data(), der_signature.size(), digest.data(), digest.size()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace

DocumentSigner document_signer_from_pem(const std::string& certificate_pem, const std::string& key_pem,
                                        const std::string& origin) {
    return make_signer(certificate_pem, key_pem, origin + " certificate", origin + " private key");
}

std::shared_ptr<const DigestSigner> file_signer(crypto::EcPrivateKey key, std::string origin) {
    return std::make_shared<FileSigner>(std::move(key), std::move(origin));
}

DocumentSigner make_document_signer(ByteView certificate_der, std::shared_ptr<const DigestSigner> key,
                                    const std::string& cert_origin) {
    X509Ptr cert;
    try {
        cert = x509_from_der(certificate_der);
    } catch (const ParseError&) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: not a well-formed DER X.509 certificate", cert_origin));
    }
    const Bytes probe = crypto::sha256(to_bytes("docketcard: does this key belong to the Document Signer certificate?"));
    if (!verify_digest(cert.get(), probe, key->sign_digest(probe))) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{} does not hold the private key of {}", key->origin(), cert_origin));
    }
    std::string subject = subject_of(cert.get());
    auto layout = make_layout(cert.get());
    return DocumentSigner{Bytes(certificate_der.begin(), certificate_der.end()), std::move(key), std::move(subject),
                          std::shared_ptr<x509_st>(cert.release(), X509_free), std::move(layout)};
}

DocumentSigner load_document_signer(const std::filesystem::path& dir) {
    const auto cert_file = dir / "document-signer.pem";
    const auto key_file = dir / "document-signer.key";
    const std::string cert_pem = read_text_file(cert_file, "Document Signer certificate");
    const std::string key_pem = read_text_file(key_file, "Document Signer private key");
    return make_signer(cert_pem, key_pem, cert_file.string(), key_file.string());
}

// ---- signing

Bytes encode_lds_security_object_from_hashes(const std::map<int, Bytes>& dg_sha256) {
    Bytes hashes;
    for (const auto& [dg, hash] : dg_sha256) {
        if (dg < 1 || dg > 16) throw Error(ErrorKind::Internal, fmt::format("data group {} does not exist", dg));
        if (hash.size() != 32) throw Error(ErrorKind::Internal, fmt::format("the SHA-256 of DG{} is not 32 bytes", dg));
        append(hashes, tlv::encode(0x30, {tlv::encode(0x02, Bytes{static_cast<std::uint8_t>(dg)}),
                                          tlv::encode(0x04, hash)}));
    }
    return tlv::encode(0x30, {from_hex("020100"), tlv::encode(0x30, from_hex(kHashAlgs[0].oid_der)),
                              tlv::encode(0x30, hashes)});
}

Bytes encode_lds_security_object(const std::map<int, Bytes>& data_groups) {
    std::map<int, Bytes> hashes;
    for (const auto& [dg, bytes] : data_groups) hashes.emplace(dg, crypto::sha256(bytes));
    return encode_lds_security_object_from_hashes(hashes);
}

namespace {

// The SignerInfo's signedAttrs as signed (RFC 5652 5.4): the DER of the [0] IMPLICIT field with
// its tag replaced by the SET OF tag 31. Found in the encoded ContentInfo:
// 30 { 06, A0 { 30 SignedData { 02, 31, 30, [A0 certificates], [A1 crls], 31 { 30 SignerInfo
// { 02, sid, 30 digestAlgorithm, A0 signedAttrs, ... } } } } }
Bytes signed_attributes_der(ByteView content_info) {
    const auto ci = tlv::parse_single(content_info, "ContentInfo");
    tlv::Reader cr(ci.value, "ContentInfo");
    cr.expect(0x06);
    const auto explicit0 = cr.expect(0xA0);
    const auto sd = tlv::parse_single(explicit0.value, "SignedData");
    tlv::Reader sr(sd.value, "SignedData");
    tlv::Object infos;
    while (!sr.empty()) infos = sr.next();  // signerInfos is the last field
    if (infos.tag != 0x31) throw Error(ErrorKind::Internal, "EF.SOD: the encoded SignedData ends without signerInfos");
    tlv::Reader ir(infos.value, "signerInfos");
    const auto info = ir.expect(0x30);
    tlv::Reader fr(info.value, "SignerInfo");
    fr.next();  // version
    fr.next();  // sid
    fr.next();  // digestAlgorithm
    const auto attrs = fr.expect(0xA0);
    Bytes out(attrs.raw.begin(), attrs.raw.end());
    out[0] = 0x31;
    return out;
}

Bytes encode_content_info(CMS_ContentInfo* cms) {
    const int n = i2d_CMS_ContentInfo(cms, nullptr);
    if (n <= 0) fail_internal("i2d_CMS_ContentInfo");
    Bytes der(static_cast<std::size_t>(n));
    unsigned char* p = der.data();
    i2d_CMS_ContentInfo(cms, &p);
    return der;
}

}  // namespace

namespace {

// The SignerInfo's signature over the DER of the signed attributes (RFC 5652 5.4): the signer's,
// checked against the certificate when the signer asks for it, or a placeholder of the largest
// DER length for a size estimate.
Bytes signature_over(const Bytes& attrs_digest, const DocumentSigner& signer, X509* cert, const SignOptions& options) {
    if (options.size_estimate) {
        // SEQUENCE { INTEGER 00 80.., INTEGER 00 80.. }: r and s at their longest DER form.
        Bytes signature = {0x30, 0x46};
        for (int i = 0; i < 2; ++i) {
            signature.insert(signature.end(), {0x02, 0x21, 0x00});
            signature.insert(signature.end(), 32, 0x80);
        }
        return signature;
    }
    Bytes signature = signer.key->sign_digest(attrs_digest);
    if (signer.key->check_each_signature() && !verify_digest(cert, attrs_digest, signature)) {
        throw Error(ErrorKind::Internal, fmt::format("the EF.SOD signature made with {} does not verify with the Document "
                                                     "Signer certificate; EF.SOD was not written",
                                                     signer.key->origin()));
    }
    return signature;
}

using SignatureFn = std::function<Bytes(const Bytes& attrs_digest)>;

// The ContentInfo (RFC 5652 3) of a SignedData over `lso` built by OpenSSL's CMS encoder.
Bytes openssl_content_info(ByteView lso, X509* cert, std::time_t signing_time, const SignatureFn& sign) {
    const unsigned flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
    CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
    if (!cms) fail_internal("CMS_sign");
    ObjPtr oid(OBJ_txt2obj(kLdsSecurityObjectOid, 1));
    if (!oid || CMS_set1_eContentType(cms.get(), oid.get()) != 1) fail_internal("CMS_set1_eContentType");
    // The SignerInfo is added with the certificate's public key: OpenSSL never sees the private
    // key, the signature comes from `sign`.
    CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert, X509_get0_pubkey(cert), EVP_sha256(), flags);
    if (!si) fail_internal("CMS_add1_signer");
    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, oid.get(), -1) != 1)
        fail_internal("adding the content-type attribute");
    const Bytes digest = crypto::sha256(lso);
    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest.data(),
                                    static_cast<int>(digest.size())) != 1)
        fail_internal("adding the message-digest attribute");
    TimePtr t(ASN1_TIME_set(nullptr, signing_time));
    if (!t || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t.get(), -1) != 1)
        fail_internal("adding the signing-time attribute");
    if (CMS_set_detached(cms.get(), 0) != 1) fail_internal("CMS_set_detached");
    ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
    if (!content || !*content || ASN1_OCTET_STRING_set(*content, lso.data(), static_cast<int>(lso.size())) != 1)
        fail_internal("setting the eContent");

    const Bytes signature = sign(crypto::sha256(signed_attributes_der(encode_content_info(cms.get()))));
    if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), signature.data(), static_cast<int>(signature.size())) != 1)
        fail_internal("setting the signature");
    return encode_content_info(cms.get());
}

// signingTime (RFC 5652 11.3): UTCTime for the years 1950 to 2049, GeneralizedTime otherwise,
// both in UTC with seconds and "Z" (X.690 11.7, 11.8).
Bytes der_time(std::time_t t) {
    std::tm tm{};
    if (!::gmtime_r(&t, &tm)) throw Error(ErrorKind::Internal, "signing time out of range");
    const int year = tm.tm_year + 1900;
    if (year >= 1950 && year < 2050)
        return tlv::encode(0x17, to_bytes(fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}Z", year % 100, tm.tm_mon + 1,
                                                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)));
    return tlv::encode(0x18, to_bytes(fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}Z", year, tm.tm_mon + 1, tm.tm_mday,
                                                  tm.tm_hour, tm.tm_min, tm.tm_sec)));
}

}  // namespace

// The DER every SignedData of one Document Signer shares, each a whole TLV, in the order of
// RFC 5652 5.1 and 5.3.
struct SodLayout {
    Bytes content_type;          // 06: id-signedData
    Bytes version;               // 02: SignedData version
    Bytes digest_algorithms;     // 31
    Bytes econtent_type;         // 06: id-icao-ldsSecurityObject
    Bytes certificates;          // A0
    Bytes signer_version;        // 02: SignerInfo version
    Bytes sid;                   // 30: IssuerAndSerialNumber
    Bytes digest_algorithm;      // 30
    Bytes signature_algorithm;   // 30
};

namespace {

// The ContentInfo of a SignedData over `lso`, encoded here from the signer's layout.
Bytes layout_content_info(const SodLayout& l, ByteView lso, std::time_t signing_time, const SignatureFn& sign) {
    // signedAttrs (RFC 5652 5.3): content-type, message-digest, signing-time (11.1-11.3), as a
    // DER SET OF: sorted by their encodings, a shorter one as if padded with zeros (X.690 11.6).
    std::vector<Bytes> attrs{
        tlv::encode(0x30, {from_hex("06092A864886F70D010903"), tlv::encode(0x31, l.econtent_type)}),
        tlv::encode(0x30, {from_hex("06092A864886F70D010904"), tlv::encode(0x31, tlv::encode(0x04, crypto::sha256(lso)))}),
        tlv::encode(0x30, {from_hex("06092A864886F70D010905"), tlv::encode(0x31, der_time(signing_time))}),
    };
    std::sort(attrs.begin(), attrs.end(), [](const Bytes& a, const Bytes& b) {
        const std::size_t n = std::max(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint8_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
            if (x != y) return x < y;
        }
        return false;
    });
    Bytes attr_content;
    for (const auto& a : attrs) append(attr_content, a);
    // The signature is over the attributes with the SET OF tag (5.4); the field is [0] IMPLICIT.
    const Bytes signature = sign(crypto::sha256(tlv::encode(0x31, attr_content)));
    const Bytes signer_info = tlv::encode(0x30, {l.signer_version, l.sid, l.digest_algorithm,
                                                 tlv::encode(0xA0, attr_content), l.signature_algorithm,
                                                 tlv::encode(0x04, signature)});
    const Bytes encap = tlv::encode(0x30, {l.econtent_type, tlv::encode(0xA0, tlv::encode(0x04, lso))});
    const Bytes signed_data = tlv::encode(0x30, {l.version, l.digest_algorithms, encap, l.certificates,
                                                 tlv::encode(0x31, signer_info)});
    return tlv::encode(0x30, {l.content_type, tlv::encode(0xA0, signed_data)});
}

Bytes raw(const tlv::Object& o) { return Bytes(o.raw.begin(), o.raw.end()); }

// The layout of `cert`'s SignedData, read from one OpenSSL encoding and kept only when the
// encoding built from it is that same encoding, byte for byte. nullptr: OpenSSL encodes every
// EF.SOD (a structure this reader does not expect).
std::shared_ptr<const SodLayout> make_layout(X509* cert) {
    const Bytes lso = encode_lds_security_object({{1, from_hex("615B5F1F")}});
    const std::time_t when = 1780000000;  // 2026-05-28
    const SignatureFn placeholder = [](const Bytes&) {
        Bytes signature = {0x30, 0x46};
        for (int i = 0; i < 2; ++i) {
            signature.insert(signature.end(), {0x02, 0x21, 0x00});
            signature.insert(signature.end(), 32, 0x5A);
        }
        return signature;
    };
    const Bytes reference = openssl_content_info(lso, cert, when, placeholder);
    try {
        auto l = std::make_shared<SodLayout>();
        const auto ci = tlv::parse_single(reference, "ContentInfo");
        tlv::Reader cr(ci.value, "ContentInfo");
        l->content_type = raw(cr.expect(0x06));
        const auto sd = tlv::parse_single(cr.expect(0xA0).value, "SignedData");
        tlv::Reader sr(sd.value, "SignedData");
        l->version = raw(sr.expect(0x02));
        l->digest_algorithms = raw(sr.expect(0x31));
        const auto encap = sr.expect(0x30);
        l->certificates = raw(sr.expect(0xA0));
        const auto infos = sr.expect(0x31);
        if (!sr.empty()) return nullptr;
        tlv::Reader er(encap.value, "encapContentInfo");
        l->econtent_type = raw(er.expect(0x06));
        tlv::Reader ir(infos.value, "signerInfos");
        const auto info = ir.expect(0x30);
        if (!ir.empty()) return nullptr;
        tlv::Reader fr(info.value, "SignerInfo");
        l->signer_version = raw(fr.expect(0x02));
        l->sid = raw(fr.expect(0x30));
        l->digest_algorithm = raw(fr.expect(0x30));
        fr.expect(0xA0);
        l->signature_algorithm = raw(fr.expect(0x30));
        fr.expect(0x04);
        if (!fr.empty()) return nullptr;
        if (layout_content_info(*l, lso, when, placeholder) != reference) return nullptr;
        return l;
    } catch (const ParseError&) {
        return nullptr;
    }
}

Bytes sign_lso(const Bytes& lso, const DocumentSigner& signer, const SignOptions& options) {
    X509Ptr parsed_here;
    X509* cert = signer.parsed.get();
    if (!cert) {
        parsed_here = x509_from_der(signer.certificate_der);
        cert = parsed_here.get();
    }
    const std::time_t when = options.signing_time.value_or(std::time(nullptr));
    const SignatureFn sign = [&](const Bytes& digest) { return signature_over(digest, signer, cert, options); };
    if (signer.layout && !options.openssl_encoder)
        return tlv::encode(0x77, layout_content_info(*signer.layout, lso, when, sign));
    return tlv::encode(0x77, openssl_content_info(lso, cert, when, sign));
}

}  // namespace

Bytes sign_sod(const std::map<int, Bytes>& data_groups, const DocumentSigner& signer, const SignOptions& options) {
    return sign_lso(encode_lds_security_object(data_groups), signer, options);
}

Bytes sign_sod_from_hashes(const std::map<int, Bytes>& dg_sha256, const DocumentSigner& signer,
                           const SignOptions& options) {
    return sign_lso(encode_lds_security_object_from_hashes(dg_sha256), signer, options);
}

// ---- parsing

namespace {

CmsPtr cms_from_der(ByteView der) {
    const unsigned char* p = der.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
    if (!cms) {
        ERR_clear_error();
        throw ParseError("EF.SOD: content is not a DER CMS ContentInfo (RFC 5652 3)");
    }
    if (p != der.data() + der.size()) throw ParseError("EF.SOD: bytes after the CMS ContentInfo");
    return cms;
}

void parse_lso(ByteView lso, ParsedSod& out) {
    const auto seq = tlv::parse_single(lso, "LDSSecurityObject");
    if (seq.tag != 0x30) throw ParseError("LDSSecurityObject is not a SEQUENCE");
    tlv::Reader r(seq.value, "LDSSecurityObject");
    out.lso_version = small_integer(r.next(), "version");
    if (out.lso_version > 1) throw ParseError(fmt::format("LDSSecurityObject version {} is unknown", out.lso_version));
    const auto alg = r.expect(0x30);
    tlv::Reader ar(alg.value, "LDSSecurityObject hashAlgorithm");
    const auto oid = ar.expect(0x06);
    const HashAlg* h = hash_by_oid(oid.raw);
    if (!h) throw ParseError(fmt::format("LDSSecurityObject: hash algorithm OID {} is not supported", to_hex(oid.value)));
    out.hash_algorithm = h->name;
    const auto values = r.expect(0x30);
    tlv::Reader vr(values.value, "dataGroupHashValues");
    while (!vr.empty()) {
        const auto entry = vr.expect(0x30);
        tlv::Reader er(entry.value, "DataGroupHash");
        const int dg = small_integer(er.next(), "dataGroupNumber");
        const auto hash = er.expect(0x04);
        er.expect_end();
        if (dg < 1 || dg > 16) throw ParseError(fmt::format("LDSSecurityObject: data group number {} is outside 1..16", dg));
        if (hash.value.size() != h->fn({}).size())
            throw ParseError(fmt::format("LDSSecurityObject: DG{} hash has {} bytes, {} needs {}", dg, hash.value.size(),
                                         h->name, h->fn({}).size()));
        if (!out.hashes.emplace(dg, Bytes(hash.value.begin(), hash.value.end())).second)
            throw ParseError(fmt::format("LDSSecurityObject: DG{} is listed twice", dg));
    }
    if (out.hashes.empty()) throw ParseError("LDSSecurityObject lists no data group");
}

}  // namespace

ParsedSod parse_sod(ByteView ef_sod) {
    const auto outer = tlv::parse_single(ef_sod, "EF.SOD");
    if (outer.tag != 0x77) throw ParseError(fmt::format("EF.SOD: outer tag is {:X}, expected 77", outer.tag));
    ParsedSod out;
    out.cms_der.assign(outer.value.begin(), outer.value.end());
    auto cms = cms_from_der(out.cms_der);
    if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
        throw ParseError("EF.SOD: ContentInfo is not SignedData");
    char oid[64] = {};
    OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms.get()), 1);
    if (std::string(oid) != kLdsSecurityObjectOid)
        throw ParseError(fmt::format("EF.SOD: eContentType is {}, expected {} (ldsSecurityObject)", oid,
                                     kLdsSecurityObjectOid));
    ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
    if (!content || !*content) throw ParseError("EF.SOD: SignedData has no encapsulated LDSSecurityObject");
    parse_lso(ByteView(ASN1_STRING_get0_data(*content), static_cast<std::size_t>(ASN1_STRING_length(*content))), out);

    CertStackPtr certs(CMS_get1_certs(cms.get()));
    if (!certs || sk_X509_num(certs.get()) < 1) throw ParseError("EF.SOD: SignedData carries no Document Signer certificate");
    out.ds_certificate_der = x509_to_der(sk_X509_value(certs.get(), 0));

    STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms.get());
    if (!signers || sk_CMS_SignerInfo_num(signers) != 1)
        throw ParseError("EF.SOD: SignedData must hold exactly one SignerInfo");
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(signers, 0);
    const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    if (idx >= 0) {
        X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
        ASN1_TYPE* v = X509_ATTRIBUTE_get0_type(attr, 0);
        if (v && (v->type == V_ASN1_UTCTIME || v->type == V_ASN1_GENERALIZEDTIME)) {
            struct tm tm {};
            if (ASN1_TIME_to_tm(reinterpret_cast<ASN1_TIME*>(v->value.asn1_string), &tm) == 1) out.signing_time = timegm(&tm);
        }
    }
    return out;
}

// ---- verification

bool SodVerification::ok() const noexcept {
    if (checks.empty()) return false;
    for (const auto& c : checks)
        if (!c.passed) return false;
    return true;
}

std::string SodVerification::failures() const {
    std::string out;
    for (const auto& c : checks)
        if (!c.passed) out += c.name + ": " + c.message + "\n";
    return out;
}

SodVerification verify_sod(ByteView ef_sod, ByteView csca_certificate, const std::map<int, Bytes>& data_groups,
                           std::time_t at) {
    Bytes csca_der;
    try {
        csca_der = certificate_to_der(csca_certificate, "CSCA certificate");
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, e.what());
    }
    auto csca = x509_from_der(csca_der);

    SodVerification result;
    try {
        result.sod = parse_sod(ef_sod);
        result.checks.push_back({"sod.structure", true,
                                 fmt::format("EF.SOD holds a SignedData LDSSecurityObject v{} ({}) over {} data groups",
                                             result.sod->lso_version, result.sod->hash_algorithm, result.sod->hashes.size())});
    } catch (const ParseError& e) {
        result.checks.push_back({"sod.structure", false, e.what()});
        return result;
    }
    const ParsedSod& sod = *result.sod;
    auto ds = x509_from_der(sod.ds_certificate_der);
    result.signer_subject = subject_of(ds.get());

    {
        auto cms = cms_from_der(sod.cms_der);
        const bool good = CMS_verify(cms.get(), nullptr, nullptr, nullptr, nullptr,
                                     CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1;
        const std::string detail = good ? "" : openssl_errors();
        result.checks.push_back({"sod.signature", good,
                                 good ? "the SignerInfo signature and message digest verify with the Document Signer key"
                                      : "the EF.SOD signature does not verify: " + detail});
    }
    {
        StorePtr store(X509_STORE_new());
        X509_STORE_add_cert(store.get(), csca.get());
        StoreCtxPtr ctx(X509_STORE_CTX_new());
        X509_STORE_CTX_init(ctx.get(), store.get(), ds.get(), nullptr);
        X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx.get()), X509_V_FLAG_NO_CHECK_TIME);
        const bool good = X509_verify_cert(ctx.get()) == 1;
        const std::string why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
        ERR_clear_error();
        result.checks.push_back(
            {"ds.chain", good,
             good ? fmt::format("Document Signer \"{}\" is issued by CSCA \"{}\"", result.signer_subject, subject_of(csca.get()))
                  : fmt::format("Document Signer \"{}\" does not chain to CSCA \"{}\": {}", result.signer_subject,
                                subject_of(csca.get()), why)});
    }
    {
        std::string problem;
        for (auto [cert, role] : {std::pair{ds.get(), "Document Signer"}, std::pair{csca.get(), "CSCA"}}) {
            std::time_t t = at;
            if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0) problem += fmt::format("{} certificate is not yet valid; ", role);
            if (X509_cmp_time(X509_get0_notAfter(cert), &t) < 0) problem += fmt::format("{} certificate has expired; ", role);
        }
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&at));
        result.checks.push_back({"ds.validity", problem.empty(),
                                 problem.empty() ? fmt::format("Document Signer and CSCA certificates are valid at {}", when)
                                                 : fmt::format("{}at {}", problem, when)});
    }

    const HashAlg* alg = nullptr;
    for (const auto& h : kHashAlgs)
        if (sod.hash_algorithm == h.name) alg = &h;
    std::map<int, bool> names;
    for (const auto& [dg, _] : sod.hashes) names[dg] = true;
    for (const auto& [dg, _] : data_groups) names[dg] = true;
    for (const auto& [dg, _] : names) {
        const std::string name = fmt::format("dg{}.hash", dg);
        auto listed = sod.hashes.find(dg);
        auto read = data_groups.find(dg);
        if (listed == sod.hashes.end()) {
            result.checks.push_back({name, false, fmt::format("DG{} is present but EF.SOD does not list it", dg)});
        } else if (read == data_groups.end()) {
            result.checks.push_back({name, false, fmt::format("EF.SOD lists DG{} but it was not supplied", dg)});
        } else {
            const bool good = alg->fn(read->second) == listed->second;
            result.checks.push_back({name, good,
                                     good ? fmt::format("DG{} {} matches EF.SOD", dg, alg->name)
                                          : fmt::format("DG{} {} {} differs from EF.SOD {}", dg, alg->name,
                                                        to_hex(alg->fn(read->second)), to_hex(listed->second))});
        }
    }
    return result;
}

}  // namespace docketcard::pki
