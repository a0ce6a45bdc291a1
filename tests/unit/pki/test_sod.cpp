// EF.SOD signing and verification (ICAO Doc 9303 Part 10 4.6.2, Part 11 5.1, Part 12; RFC 5652).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

const fs::path kKeys = fs::path(DOCKETCARD_SOURCE_DIR) / "keys-sample";
constexpr std::time_t k2025_06_01 = 1748736000;   // 2025-06-01T00:00:00Z
constexpr std::time_t k2026_01_01 = 1767225600;   // 2026-01-01T00:00:00Z
constexpr std::time_t k2037_01_01 = 2114380800;   // 2037-01-01T00:00:00Z

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const fs::path& p, ByteView data) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::map<int, Bytes> sample_dgs() {
    return {{1, concat({from_hex("615D5F1F5A"), Bytes(90, '<')})}, {2, from_hex("7503010203")}, {13, from_hex("6D03800101")}};
}

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("docketcard-pki-" + to_hex(crypto::random_bytes(6)));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

const pki::Check& check(const pki::SodVerification& v, const std::string& name) {
    for (const auto& c : v.checks)
        if (c.name == name) return c;
    FAIL("no check named " << name);
    throw std::logic_error("unreachable");
}

// A Document Signer whose certificate (issued by the sample CSCA) expired on 2021-01-01.
pki::DocumentSigner expired_signer() {
    const std::string csca_key_pem = slurp(kKeys / "csca.key");
    BIO* kb = BIO_new_mem_buf(csca_key_pem.c_str(), -1);
    EVP_PKEY* csca_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    const std::string csca_pem = slurp(kKeys / "csca.pem");
    BIO* cb = BIO_new_mem_buf(csca_pem.c_str(), -1);
    X509* csca = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    REQUIRE(csca_key);
    REQUIRE(csca);

    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x7777);
    X509_set_issuer_name(cert, X509_get_subject_name(csca));
    X509_NAME* name = X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("US"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Expired DS"), -1, -1, 0);
    X509_set_subject_name(cert, name);
    ASN1_TIME_set_string(X509_getm_notBefore(cert), "20200101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(cert), "20210101000000Z");
    X509_set_pubkey(cert, key);
    REQUIRE(X509_sign(cert, csca_key, EVP_sha384()) > 0);

    auto pem_of = [](auto write) {
        BIO* out = BIO_new(BIO_s_mem());
        write(out);
        char* p = nullptr;
        const long n = BIO_get_mem_data(out, &p);
        std::string text(p, static_cast<std::size_t>(n));
        BIO_free(out);
        return text;
    };
    const std::string cert_pem = pem_of([&](BIO* b) { PEM_write_bio_X509(b, cert); });
    const std::string key_pem =
        pem_of([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_NAME_free(name);
    X509_free(cert);
    X509_free(csca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(csca_key);
    return pki::document_signer_from_pem(cert_pem, key_pem, "expired test signer");
}

}  // namespace

TEST_CASE("Document Signer loads from a keys folder, with errors naming the file", "[pki][keys]") {
    const auto ds = pki::load_document_signer(kKeys);
    CHECK(ds.subject.find("docketcard Sample Document Signer") != std::string::npos);
    CHECK(ds.key->origin().find("document-signer.key") != std::string::npos);

    TempDir tmp;
    try {
        pki::load_document_signer(tmp.path);
        FAIL("loading an empty folder succeeded");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
        INFO(e.what());
        CHECK(std::string(e.what()).find("document-signer.pem") != std::string::npos);
    }
    fs::copy_file(kKeys / "document-signer.pem", tmp.path / "document-signer.pem");
    try {
        pki::load_document_signer(tmp.path);
        FAIL("loading without a key succeeded");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("document-signer.key") != std::string::npos);
    }
    fs::copy_file(kKeys / "other-csca.key", tmp.path / "document-signer.key");
    try {
        pki::load_document_signer(tmp.path);
        FAIL("a key of another certificate was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
        CHECK(std::string(e.what()).find("does not hold the private key") != std::string::npos);
    }
    write_file(tmp.path / "document-signer.pem", to_bytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
    CHECK_THROWS_AS(pki::load_document_signer(tmp.path), Error);
    CHECK_THROWS_AS(pki::load_certificate(tmp.path / "nothing.pem"), Error);
    CHECK(pki::load_certificate(kKeys / "csca.pem").at(0) == 0x30);
}

TEST_CASE("LDSSecurityObject v0 with SHA-256 over each data group", "[pki][lso]") {
    const Bytes dg1 = from_hex("61020000");
    const Bytes lso = pki::encode_lds_security_object({{1, dg1}, {13, from_hex("6D00")}});
    CHECK(to_hex(lso) == "3060" "020100" "300B0609608648016503040201"
                         "304E"
                         "3025020101" "0420" + to_hex(crypto::sha256(dg1)) +
                         "302502010D" "0420" + to_hex(crypto::sha256(from_hex("6D00"))));
    CHECK_THROWS_AS(pki::encode_lds_security_object({{17, dg1}}), Error);
}

TEST_CASE("EF.SOD is a CMS SignedData that OpenSSL verifies against the CSCA", "[pki][sod]") {
    const auto ds = pki::load_document_signer(kKeys);
    const auto dgs = sample_dgs();
    const Bytes sod = pki::sign_sod(dgs, ds, {k2025_06_01});
    REQUIRE(sod.at(0) == 0x77);

    const auto parsed = pki::parse_sod(sod);
    CHECK(parsed.lso_version == 0);
    CHECK(parsed.hash_algorithm == "sha256");
    CHECK(parsed.hashes.size() == 3);
    CHECK(parsed.hashes.at(2) == crypto::sha256(dgs.at(2)));
    CHECK(parsed.ds_certificate_der == ds.certificate_der);
    CHECK(parsed.signing_time == std::optional<std::time_t>(k2025_06_01));
    CHECK(pki::encode_lds_security_object(dgs).size() > 0);

    SECTION("in-process CMS_verify with the CSCA as trust anchor, purpose any") {
        const std::string csca_pem = slurp(kKeys / "csca.pem");
        BIO* cb = BIO_new_mem_buf(csca_pem.c_str(), -1);
        X509* csca = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
        BIO_free(cb);
        X509_STORE* store = X509_STORE_new();
        X509_STORE_add_cert(store, csca);
        X509_VERIFY_PARAM_set_purpose(X509_STORE_get0_param(store), X509_PURPOSE_ANY);
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), k2026_01_01);
        const auto value = tlv::parse_single(sod).value;
        const unsigned char* p = value.data();
        CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(value.size()));
        REQUIRE(cms);
        BIO* out = BIO_new(BIO_s_mem());
        CHECK(CMS_verify(cms, nullptr, store, nullptr, out, CMS_BINARY) == 1);
        char* data = nullptr;
        const long n = BIO_get_mem_data(out, &data);
        CHECK(Bytes(data, data + n) == pki::encode_lds_security_object(dgs));
        BIO_free(out);
        CMS_ContentInfo_free(cms);
        X509_STORE_free(store);
        X509_free(csca);
    }

    SECTION("openssl cms -verify -inform DER -CAfile keys-sample/csca.pem -purpose any") {
        TempDir tmp;
        write_file(tmp.path / "sod.cms", tlv::parse_single(sod).value);
        const std::string base = "openssl cms -verify -inform DER -in '" + (tmp.path / "sod.cms").string() +
                                 "' -purpose any -out /dev/null 2>/dev/null -CAfile '";
        CHECK(std::system((base + (kKeys / "csca.pem").string() + "'").c_str()) == 0);
        CHECK(std::system((base + (kKeys / "other-csca.pem").string() + "'").c_str()) != 0);
    }
}

namespace {
/// A DigestSigner that counts its calls and signs with the sample key.
class CountingSigner : public pki::DigestSigner {
public:
    explicit CountingSigner(std::shared_ptr<const pki::DigestSigner> inner) : inner_(std::move(inner)) {}
    Bytes sign_digest(ByteView digest) const override { ++calls; return inner_->sign_digest(digest); }
    std::string origin() const override { return inner_->origin(); }
    mutable int calls = 0;

private:
    std::shared_ptr<const pki::DigestSigner> inner_;
};
}  // namespace

TEST_CASE("sign_sod size_estimate: no signing operation, and never smaller than the real EF.SOD", "[pki][sod]") {
    auto ds = pki::load_document_signer(kKeys);
    const auto counting = std::make_shared<CountingSigner>(ds.key);
    ds.key = counting;
    const auto dgs = sample_dgs();
    pki::SignOptions estimate{k2025_06_01};
    estimate.size_estimate = true;
    const Bytes guess = pki::sign_sod(dgs, ds, estimate);
    CHECK(counting->calls == 0);
    const Bytes real = pki::sign_sod(dgs, ds, {k2025_06_01});
    CHECK(counting->calls == 1);
    // The real signature is 70-72 DER bytes (r and s of 32 or 33 bytes); the estimate uses 72.
    CHECK(guess.size() >= real.size());
    CHECK(guess.size() - real.size() <= 2);
    // The placeholder is what sign_sod wrote as the signature: 30 46, then twice 02 21 00 80..80.
    std::string sig = "3046";
    for (int i = 0; i < 2; ++i) {
        sig += "022100";
        for (int j = 0; j < 32; ++j) sig += "80";
    }
    CHECK(to_hex(guess).find(sig) != std::string::npos);
}

TEST_CASE("verify_sod: every check passes for a genuine SOD", "[pki][verify]") {
    const auto ds = pki::load_document_signer(kKeys);
    const auto dgs = sample_dgs();
    const Bytes sod = pki::sign_sod(dgs, ds);
    const Bytes csca = to_bytes(slurp(kKeys / "csca.pem"));
    const auto v = pki::verify_sod(sod, csca, dgs, k2026_01_01);
    INFO(v.failures());
    CHECK(v.ok());
    CHECK(v.checks.size() == 7);   // structure, signature, chain, validity, dg1, dg2, dg13
    CHECK(check(v, "dg13.hash").passed);
    CHECK(v.signer_subject.find("Document Signer") != std::string::npos);
    // DER CSCA works as well.
    CHECK(pki::verify_sod(sod, pki::load_certificate(kKeys / "csca.pem"), dgs, k2026_01_01).ok());
}

TEST_CASE("verify_sod detects tampering, a wrong CSCA and expired certificates", "[pki][verify]") {
    const auto ds = pki::load_document_signer(kKeys);
    const auto dgs = sample_dgs();
    const Bytes sod = pki::sign_sod(dgs, ds, {k2025_06_01});
    const Bytes csca = to_bytes(slurp(kKeys / "csca.pem"));

    SECTION("a modified data group") {
        auto read = dgs;
        read[2].back() ^= 0x01;
        const auto v = pki::verify_sod(sod, csca, read, k2026_01_01);
        CHECK_FALSE(v.ok());
        CHECK_FALSE(check(v, "dg2.hash").passed);
        CHECK(check(v, "dg1.hash").passed);
        CHECK(check(v, "sod.signature").passed);
    }
    SECTION("a data group missing from the card or from the SOD") {
        auto read = dgs;
        read.erase(13);
        read[11] = from_hex("6B00");
        const auto v = pki::verify_sod(sod, csca, read, k2026_01_01);
        CHECK_FALSE(check(v, "dg13.hash").passed);
        CHECK_FALSE(check(v, "dg11.hash").passed);
        CHECK(check(v, "dg1.hash").passed);
    }
    SECTION("a modified signature") {
        Bytes bad = sod;
        bad.back() ^= 0x01;
        const auto v = pki::verify_sod(bad, csca, dgs, k2026_01_01);
        CHECK(check(v, "sod.structure").passed);
        CHECK_FALSE(check(v, "sod.signature").passed);
        CHECK(check(v, "ds.chain").passed);
    }
    SECTION("a modified hash inside the signed LDSSecurityObject") {
        Bytes bad = sod;
        const Bytes h = crypto::sha256(dgs.at(2));
        auto it = std::search(bad.begin(), bad.end(), h.begin(), h.end());
        REQUIRE(it != bad.end());
        *it ^= 0x01;
        const auto v = pki::verify_sod(bad, csca, dgs, k2026_01_01);
        CHECK_FALSE(check(v, "sod.signature").passed);
        CHECK_FALSE(check(v, "dg2.hash").passed);
    }
    SECTION("a CSCA that did not sign the Document Signer") {
        const auto v = pki::verify_sod(sod, to_bytes(slurp(kKeys / "other-csca.pem")), dgs, k2026_01_01);
        CHECK_FALSE(v.ok());
        CHECK_FALSE(check(v, "ds.chain").passed);
        CHECK(check(v, "sod.signature").passed);
    }
    SECTION("the sample Document Signer after its expiry (2036-01-01)") {
        const auto v = pki::verify_sod(sod, csca, dgs, k2037_01_01);
        CHECK_FALSE(check(v, "ds.validity").passed);
        CHECK(check(v, "ds.validity").message.find("Document Signer certificate has expired") != std::string::npos);
        CHECK(check(v, "ds.chain").passed);
    }
    SECTION("a Document Signer certificate that expired in 2021") {
        const auto expired = expired_signer();
        const Bytes sod2 = pki::sign_sod(dgs, expired);
        const auto v = pki::verify_sod(sod2, csca, dgs, k2026_01_01);
        CHECK(check(v, "sod.signature").passed);
        CHECK(check(v, "ds.chain").passed);
        CHECK_FALSE(check(v, "ds.validity").passed);
        CHECK_FALSE(v.ok());
    }
    SECTION("malformed EF.SOD") {
        const Bytes truncated(sod.begin(), sod.end() - 10);
        const auto v = pki::verify_sod(truncated, csca, dgs, k2026_01_01);
        REQUIRE(v.checks.size() == 1);
        CHECK_FALSE(check(v, "sod.structure").passed);
        CHECK_THROWS_AS(pki::parse_sod(truncated), ParseError);
        Bytes wrong_tag = sod;
        wrong_tag[0] = 0x78;
        CHECK_THROWS_AS(pki::parse_sod(wrong_tag), ParseError);
        CHECK_THROWS_AS(pki::parse_sod(from_hex("7703300100")), ParseError);
        CHECK_THROWS_AS(pki::parse_sod(Bytes{}), ParseError);
        CHECK_THROWS_AS(pki::verify_sod(sod, from_hex("3003020100"), dgs, k2026_01_01), Error);
    }
}

namespace {

/// A signer that answers every digest with the same DER signature, so that two encodings of one
/// EF.SOD can be compared byte for byte.
class FixedSigner final : public pki::DigestSigner {
public:
    Bytes sign_digest(ByteView) const override {
        Bytes der = {0x30, 0x45, 0x02, 0x21, 0x00};
        der.insert(der.end(), 32, 0x9C);
        der.insert(der.end(), {0x02, 0x20});
        der.insert(der.end(), 32, 0x3D);
        return der;
    }
    std::string origin() const override { return "fixed"; }
    bool check_each_signature() const override { return false; }
};

}  // namespace

TEST_CASE("sign_sod's own DER encoding is OpenSSL's CMS encoding, byte for byte", "[pki][sod]") {
    auto ds = pki::load_document_signer(kKeys);
    REQUIRE(ds.layout != nullptr);
    ds.key = std::make_shared<FixedSigner>();
    const auto dgs = sample_dgs();
    std::map<int, Bytes> hashes;
    for (const auto& [dg, bytes] : dgs) hashes.emplace(dg, crypto::sha256(bytes));
    // Around the UTCTime / GeneralizedTime switch of RFC 5652 11.3 (2050), and a usual date.
    for (const std::time_t t : {k2025_06_01, std::time_t{2524607999}, std::time_t{2524608000}}) {
        INFO("signing time " << t);
        pki::SignOptions own;
        own.signing_time = t;
        pki::SignOptions reference = own;
        reference.openssl_encoder = true;
        const Bytes mine = pki::sign_sod(dgs, ds, own);
        CHECK(to_hex(mine) == to_hex(pki::sign_sod(dgs, ds, reference)));
        CHECK(pki::sign_sod_from_hashes(hashes, ds, own) == mine);
        CHECK(pki::parse_sod(mine).signing_time == std::optional<std::time_t>(t));
        // The size estimate's placeholder too.
        own.size_estimate = reference.size_estimate = true;
        CHECK(pki::sign_sod(dgs, ds, own) == pki::sign_sod(dgs, ds, reference));
    }
}
