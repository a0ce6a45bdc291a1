#include "docketcard/crypto/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <utility>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
    const unsigned long code = ERR_get_error();
    char buf[256] = "";
    if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    throw Error(ErrorKind::Internal, fmt::format("OpenSSL: {} failed{}{}", what, code ? ": " : "", buf));
}

void check(int ok, const char* what) {
    if (ok != 1) fail(what);
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
    void operator()(EVP_MAC* c) const { EVP_MAC_free(c); }
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
    void operator()(EVP_PKEY* c) const { EVP_PKEY_free(c); }
    void operator()(BIO* c) const { BIO_free(c); }
    void operator()(ECDSA_SIG* c) const { ECDSA_SIG_free(c); }
    void operator()(BIGNUM* c) const { BN_clear_free(c); }
    void operator()(EC_POINT* c) const { EC_POINT_free(c); }
    void operator()(EC_GROUP* c) const { EC_GROUP_free(c); }
};
template <class T>
using Ptr = std::unique_ptr<T, CtxFree>;

Bytes digest(const EVP_MD* md, ByteView data) {
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int len = 0;
    check(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr), "digest");
    out.resize(len);
    return out;
}

Bytes cipher(const EVP_CIPHER* c, ByteView key, ByteView iv, ByteView data, bool encrypt, std::size_t block) {
    if (data.size() % block != 0) {
        throw Error(ErrorKind::Internal, fmt::format("cipher input of {} bytes is not a multiple of {}", data.size(), block));
    }
    if (key.size() != static_cast<std::size_t>(EVP_CIPHER_get_key_length(c))) {
        throw Error(ErrorKind::Internal, fmt::format("cipher key of {} bytes, expected {}", key.size(),
                                                     EVP_CIPHER_get_key_length(c)));
    }
    Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
    if (!ctx) fail("EVP_CIPHER_CTX_new");
    check(EVP_CipherInit_ex(ctx.get(), c, nullptr, key.data(), iv.empty() ? nullptr : iv.data(), encrypt ? 1 : 0),
          "cipher init");
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    Bytes out(data.size() + block);
    int n1 = 0, n2 = 0;
    check(EVP_CipherUpdate(ctx.get(), out.data(), &n1, data.data(), static_cast<int>(data.size())), "cipher update");
    check(EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2), "cipher final");
    out.resize(static_cast<std::size_t>(n1 + n2));
    return out;
}

const EVP_CIPHER* aes_cipher(std::size_t key_len, bool cbc) {
    switch (key_len) {
        case 16: return cbc ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
        case 24: return cbc ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
        case 32: return cbc ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
        default: throw Error(ErrorKind::Internal, fmt::format("AES key of {} bytes", key_len));
    }
}

void require_iv(ByteView iv, std::size_t n) {
    if (iv.size() != n) throw Error(ErrorKind::Internal, fmt::format("IV of {} bytes, expected {}", iv.size(), n));
}

}  // namespace

// The digest implementation fetched once from the default provider: EVP_Digest with the legacy
// EVP_sha256() looks the implementation up again on every call (OpenSSL 3 provider fetch), which
// a profile of `encode` showed as 2.5% of its time. Fetched objects are safe to share (OpenSSL
// 3.0 "Multi-threading").
const EVP_MD* fetched(const char* name) {
    EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (md == nullptr) fail("EVP_MD_fetch");
    return md;   // kept for the life of the process
}

Bytes sha1(ByteView d) {
    static const EVP_MD* const md = fetched("SHA1");
    return digest(md, d);
}
Bytes sha256(ByteView d) {
    static const EVP_MD* const md = fetched("SHA256");
    return digest(md, d);
}
Bytes sha384(ByteView d) {
    static const EVP_MD* const md = fetched("SHA384");
    return digest(md, d);
}
Bytes sha512(ByteView d) {
    static const EVP_MD* const md = fetched("SHA512");
    return digest(md, d);
}

void random_bytes(std::span<std::uint8_t> out) {
    if (out.empty()) return;
    check(RAND_bytes(out.data(), static_cast<int>(out.size())), "RAND_bytes");
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    random_bytes(std::span<std::uint8_t>(out));
    return out;
}

Bytes pad_m2(ByteView data, std::size_t block) {
    Bytes out(data.begin(), data.end());
    out.push_back(0x80);
    while (out.size() % block != 0) out.push_back(0x00);
    return out;
}

Bytes unpad_m2(ByteView data) {
    std::size_t i = data.size();
    while (i > 0 && data[i - 1] == 0x00) --i;
    if (i == 0 || data[i - 1] != 0x80) throw ParseError("padding (ISO/IEC 9797-1 method 2) is malformed");
    return Bytes(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(i - 1));
}

void set_des_parity(std::span<std::uint8_t> key) {
    for (auto& b : key) {
        std::uint8_t v = b & 0xFE;
        int ones = 0;
        for (int bit = 1; bit < 8; ++bit) ones += (v >> bit) & 1;
        b = static_cast<std::uint8_t>(v | ((ones % 2 == 0) ? 1 : 0));
    }
}

Bytes des3_cbc_encrypt(ByteView key16, ByteView iv8, ByteView data) {
    require_iv(iv8, 8);
    return cipher(EVP_des_ede_cbc(), key16, iv8, data, true, 8);
}

Bytes des3_cbc_decrypt(ByteView key16, ByteView iv8, ByteView data) {
    require_iv(iv8, 8);
    return cipher(EVP_des_ede_cbc(), key16, iv8, data, false, 8);
}

Bytes retail_mac(ByteView key16, ByteView padded) {
    if (key16.size() != 16) throw Error(ErrorKind::Internal, "retail MAC key must be 16 bytes");
    if (padded.empty() || padded.size() % 8 != 0) {
        throw Error(ErrorKind::Internal, "retail MAC input must be padded to 8 bytes");
    }
    // ISO/IEC 9797-1 MAC algorithm 3: DES-CBC with K1 over all blocks, then DES-decrypt with K2 and
    // DES-encrypt with K1 on the last block. Expressed with DES-EDE (K1=K2 is single DES).
    Bytes k1 = concat({key16.first(8), key16.first(8)});
    const Bytes zero_iv(8, 0);
    Bytes chain = cipher(EVP_des_ede_cbc(), k1, zero_iv, padded, true, 8);
    Bytes last(chain.end() - 8, chain.end());
    Bytes k2k2 = concat({key16.subspan(8, 8), key16.subspan(8, 8)});
    Bytes d = cipher(EVP_des_ede_ecb(), k2k2, {}, last, false, 8);
    Bytes mac = cipher(EVP_des_ede_ecb(), k1, {}, d, true, 8);
    secure_wipe(k1.data(), k1.size());
    secure_wipe(k2k2.data(), k2k2.size());
    return mac;
}

Bytes aes_ecb_encrypt(ByteView key, ByteView block16) {
    return cipher(aes_cipher(key.size(), false), key, {}, block16, true, 16);
}

Bytes aes_cbc_encrypt(ByteView key, ByteView iv16, ByteView data) {
    require_iv(iv16, 16);
    return cipher(aes_cipher(key.size(), true), key, iv16, data, true, 16);
}

Bytes aes_cbc_decrypt(ByteView key, ByteView iv16, ByteView data) {
    require_iv(iv16, 16);
    return cipher(aes_cipher(key.size(), true), key, iv16, data, false, 16);
}

Bytes aes_cmac(ByteView key, ByteView data) {
    Ptr<EVP_MAC> mac(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
    if (!mac) fail("EVP_MAC_fetch(CMAC)");
    Ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) fail("EVP_MAC_CTX_new");
    const char* name = key.size() == 16 ? "AES-128-CBC" : key.size() == 24 ? "AES-192-CBC" : "AES-256-CBC";
    if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
        throw Error(ErrorKind::Internal, fmt::format("AES-CMAC key of {} bytes", key.size()));
    }
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(name), 0),
                           OSSL_PARAM_construct_end()};
    check(EVP_MAC_init(ctx.get(), key.data(), key.size(), params), "CMAC init");
    check(EVP_MAC_update(ctx.get(), data.data(), data.size()), "CMAC update");
    Bytes out(16);
    std::size_t len = 0;
    check(EVP_MAC_final(ctx.get(), out.data(), &len, out.size()), "CMAC final");
    out.resize(len);
    return out;
}

// ---------------------------------------------------------------------------------------------
// EC keys

EcPrivateKey::EcPrivateKey(void* pkey) : pkey_(pkey) {
    Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(static_cast<EVP_PKEY*>(pkey_), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) {
        EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
        fail("sign init");
    }
    sign_ctx_ = ctx.release();
}
EcPrivateKey::EcPrivateKey(EcPrivateKey&& o) noexcept : pkey_(o.pkey_), sign_ctx_(o.sign_ctx_) {
    o.pkey_ = nullptr;
    o.sign_ctx_ = nullptr;
}
EcPrivateKey& EcPrivateKey::operator=(EcPrivateKey&& o) noexcept {
    if (this != &o) {
        EVP_PKEY_CTX_free(static_cast<EVP_PKEY_CTX*>(sign_ctx_));
        EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
        pkey_ = std::exchange(o.pkey_, nullptr);
        sign_ctx_ = std::exchange(o.sign_ctx_, nullptr);
    }
    return *this;
}
EcPrivateKey::~EcPrivateKey() {
    EVP_PKEY_CTX_free(static_cast<EVP_PKEY_CTX*>(sign_ctx_));
    EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

EcPrivateKey EcPrivateKey::generate_p256() {
    EVP_PKEY* k = EVP_EC_gen("P-256");
    if (!k) fail("EC key generation");
    return EcPrivateKey(k);
}

EcPrivateKey EcPrivateKey::from_pem(const std::string& pem, const std::string& origin) {
    Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
        EVP_PKEY_free(k);
        throw Error(ErrorKind::InvalidInput, origin + ": not a PEM EC private key (expected PKCS#8 or SEC1 PEM)");
    }
    return EcPrivateKey(k);
}

EcPrivateKey EcPrivateKey::from_scalar_p256(ByteView scalar) {
    if (scalar.size() != 32) throw ParseError("P-256 private scalar must be 32 bytes");
    Ptr<EC_GROUP> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    Ptr<BIGNUM> d(BN_bin2bn(scalar.data(), 32, nullptr));
    Ptr<EC_POINT> pub(EC_POINT_new(group.get()));
    if (!group || !d || !pub) fail("EC scalar import");
    check(EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, nullptr), "EC_POINT_mul");
    Bytes point(65);
    if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(), point.size(),
                           nullptr) != 65) {
        fail("EC_POINT_point2oct");
    }
    SecureBytes priv(scalar.begin(), scalar.end());
    // OSSL_PARAM BN values are native-endian; build with OSSL_PARAM_BLD for correctness.
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!bld) fail("OSSL_PARAM_BLD_new");
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);
    Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* k = nullptr;
    const bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_KEYPAIR, params) == 1;
    OSSL_PARAM_free(params);
    if (!ok) fail("EC key import");
    return EcPrivateKey(k);
}

SecureBytes EcPrivateKey::scalar() const {
    BIGNUM* d = nullptr;
    check(EVP_PKEY_get_bn_param(static_cast<EVP_PKEY*>(pkey_), OSSL_PKEY_PARAM_PRIV_KEY, &d), "get private key");
    Ptr<BIGNUM> guard(d);
    const int bits = EVP_PKEY_get_bits(static_cast<EVP_PKEY*>(pkey_));
    SecureBytes out(static_cast<std::size_t>((bits + 7) / 8));
    if (BN_bn2binpad(d, out.data(), static_cast<int>(out.size())) < 0) fail("BN_bn2binpad");
    return out;
}

Bytes EcPrivateKey::public_point() const {
    std::size_t len = 0;
    check(EVP_PKEY_get_octet_string_param(static_cast<EVP_PKEY*>(pkey_), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr,
                                          0, &len),
          "public key size");
    Bytes out(len);
    check(EVP_PKEY_get_octet_string_param(static_cast<EVP_PKEY*>(pkey_), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                          out.data(), out.size(), &len),
          "public key");
    out.resize(len);
    return out;
}

Bytes EcPrivateKey::public_key_spki() const {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(static_cast<EVP_PKEY*>(pkey_), &der);
    if (len <= 0) fail("i2d_PUBKEY");
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

Bytes EcPrivateKey::sign_sha256_der(ByteView message) const {
    Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(pkey_)),
          "sign init");
    std::size_t len = 0;
    check(EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()), "sign size");
    Bytes sig(len);
    check(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()), "sign");
    sig.resize(len);
    return sig;
}

Bytes EcPrivateKey::sign_digest_der(ByteView digest) const {
    // A copy of the prepared context: EVP_PKEY_CTX_dup only reads its source, so any number of
    // threads may sign with one key at once (pki::DigestSigner::concurrent()).
    Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_dup(static_cast<EVP_PKEY_CTX*>(sign_ctx_)));
    if (!ctx) fail("EVP_PKEY_CTX_dup");
    // EVP_PKEY_get_size: the largest DER Ecdsa-Sig-Value of the key (72 bytes for P-256).
    std::size_t len = static_cast<std::size_t>(EVP_PKEY_get_size(static_cast<EVP_PKEY*>(pkey_)));
    Bytes sig(len);
    check(EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()), "sign");
    sig.resize(len);
    return sig;
}

Bytes ecdsa_plain_to_der(ByteView plain) {
    if (plain.empty() || plain.size() % 2 != 0 || plain.size() > 132) {
        throw ParseError(fmt::format("an ECDSA signature r || s of {} bytes (expected an even size, at most 132)", plain.size()));
    }
    const std::size_t field = plain.size() / 2;
    Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(plain.data(), static_cast<int>(field), nullptr);
    BIGNUM* s = BN_bin2bn(plain.data() + field, static_cast<int>(field), nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        fail("ECDSA_SIG_set0");
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) fail("i2d_ECDSA_SIG");
    Bytes out(der, der + der_len);
    OPENSSL_free(der);
    return out;
}

Bytes EcPrivateKey::sign_sha256_plain(ByteView message) const {
    const Bytes der = sign_sha256_der(message);
    const unsigned char* p = der.data();
    Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) fail("d2i_ECDSA_SIG");
    const int field = (EVP_PKEY_get_bits(static_cast<EVP_PKEY*>(pkey_)) + 7) / 8;
    Bytes out(static_cast<std::size_t>(2 * field));
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), field) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + field, field) < 0) {
        fail("BN_bn2binpad");
    }
    return out;
}

namespace {
Ptr<EVP_PKEY> parse_spki(ByteView spki) {
    const unsigned char* p = spki.data();
    EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
    ERR_clear_error();
    if (!k || p != spki.data() + spki.size()) {
        EVP_PKEY_free(k);
        throw ParseError("public key is not a DER SubjectPublicKeyInfo");
    }
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
        EVP_PKEY_free(k);
        throw ParseError("public key is not an EC key");
    }
    return Ptr<EVP_PKEY>(k);
}
}  // namespace

bool verify_sha256_plain(ByteView spki_der, ByteView message, ByteView signature) {
    Ptr<EVP_PKEY> key = parse_spki(spki_der);
    const std::size_t field = static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8);
    if (signature.size() != 2 * field) {
        throw ParseError(fmt::format("plain ECDSA signature of {} bytes, expected {}", signature.size(), 2 * field));
    }
    const Bytes der_sig = ecdsa_plain_to_der(signature);
    Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    check(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), "verify init");
    const int rc = EVP_DigestVerify(ctx.get(), der_sig.data(), der_sig.size(), message.data(), message.size());
    ERR_clear_error();
    return rc == 1;
}

Bytes spki_to_point(ByteView spki_der) {
    Ptr<EVP_PKEY> key = parse_spki(spki_der);
    char group[64] = "";
    std::size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1 ||
        std::string_view(group, group_len) != "prime256v1") {
        ERR_clear_error();
        throw ParseError(fmt::format("public key is on curve '{}', not P-256 (prime256v1)",
                                     std::string_view(group, group_len)));
    }
    std::size_t len = 0;
    check(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len),
          "public key size");
    Bytes out(len);
    check(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), out.size(), &len),
          "public key");
    out.resize(len);
    if (out.size() != 65 || out[0] != 0x04) throw ParseError("P-256 public key is not an uncompressed point");
    return out;
}

Bytes point_to_spki_p256(ByteView point) {
    if (point.size() != 65 || point[0] != 0x04) throw ParseError("P-256 public point must be 04 || X || Y (65 bytes)");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("prime256v1"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()),
                                          point.size()),
        OSSL_PARAM_construct_end()};
    Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        ERR_clear_error();
        throw ParseError("P-256 public point is not on the curve");
    }
    Ptr<EVP_PKEY> guard(k);
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(k, &der);
    if (len <= 0) fail("i2d_PUBKEY");
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

}  // namespace docketcard::crypto
