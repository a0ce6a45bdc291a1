#include "docketcard/crypto/pace.hpp"

#include <algorithm>
#include <memory>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::crypto::pace {

namespace {

struct Free {
    void operator()(BIGNUM* p) const { BN_clear_free(p); }
    void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
    void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

[[noreturn]] void fail(const char* what) { throw Error(ErrorKind::Internal, std::string("OpenSSL ") + what + " failed"); }

const EC_GROUP* as_group(const void* g) { return static_cast<const EC_GROUP*>(g); }

Ptr<BIGNUM> to_bn(ByteView b) {
    Ptr<BIGNUM> n(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
    if (!n) fail("BN_bin2bn");
    return n;
}

Ptr<EC_POINT> read_point(const EC_GROUP* g, ByteView point, BN_CTX* ctx) {
    if (point.size() != 65 || point[0] != 0x04) {
        throw ParseError("EC point: " + std::to_string(point.size()) +
                         " bytes, an uncompressed point 04 || X || Y of 65 bytes expected");
    }
    Ptr<EC_POINT> p(EC_POINT_new(g));
    if (!p) fail("EC_POINT_new");
    // oct2point refuses points off the curve; infinity cannot be encoded in 65 bytes.
    if (EC_POINT_oct2point(g, p.get(), point.data(), point.size(), ctx) != 1 ||
        EC_POINT_is_on_curve(g, p.get(), ctx) != 1 || EC_POINT_is_at_infinity(g, p.get())) {
        throw ParseError("EC point: not a point of the PACE domain's curve");
    }
    return p;
}

Bytes write_point(const EC_GROUP* g, const EC_POINT* p, BN_CTX* ctx) {
    if (EC_POINT_is_at_infinity(g, p)) throw ParseError("EC point: the result is the point at infinity");
    Bytes out(65);
    if (EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx) != out.size()) {
        fail("EC_POINT_point2oct");
    }
    return out;
}

Ptr<BN_CTX> new_ctx() {
    Ptr<BN_CTX> ctx(BN_CTX_secure_new());
    if (!ctx) fail("BN_CTX_new");
    return ctx;
}

}  // namespace

Bytes oid(Protocol p) {
    Bytes o{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02};
    switch (p) {
        case Protocol::PaceEcdhGmAes128: append(o, Bytes{0x04, 0x02, 0x02}); break;
        case Protocol::PaceEcdhGmAes256: append(o, Bytes{0x04, 0x02, 0x04}); break;
        case Protocol::CaEcdhAes128: append(o, Bytes{0x03, 0x02, 0x02}); break;
        case Protocol::CaEcdhAes256: append(o, Bytes{0x03, 0x02, 0x04}); break;
    }
    return o;
}

bool protocol_from_oid(ByteView o, Protocol& out) noexcept {
    for (const Protocol p : {Protocol::PaceEcdhGmAes128, Protocol::PaceEcdhGmAes256, Protocol::CaEcdhAes128,
                             Protocol::CaEcdhAes256}) {
        const Bytes candidate = oid(p);
        if (std::equal(o.begin(), o.end(), candidate.begin(), candidate.end())) {
            out = p;
            return true;
        }
    }
    return false;
}

std::size_t key_length(Protocol p) noexcept {
    return (p == Protocol::PaceEcdhGmAes256 || p == Protocol::CaEcdhAes256) ? 32 : 16;
}

SecureBytes kdf_aes(ByteView secret, std::uint32_t counter, std::size_t length) {
    if (length != 16 && length != 32) throw Error(ErrorKind::Internal, "PACE KDF: key length must be 16 or 32");
    SecureBytes input = secure_copy(secret);
    for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<std::uint8_t>(counter >> shift));
    Bytes digest = length == 16 ? sha1(view(input)) : sha256(view(input));
    SecureBytes key(digest.begin(), digest.begin() + static_cast<std::ptrdiff_t>(length));
    secure_wipe(digest.data(), digest.size());
    return key;
}

SecureBytes password_secret(PasswordKind kind, std::string_view password) {
    if (kind == PasswordKind::Can) {
        if (password.size() != 6 || !std::all_of(password.begin(), password.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            throw Error(ErrorKind::InvalidInput, "card access number: 6 digits expected");
        }
        return SecureBytes(password.begin(), password.end());
    }
    if (password.size() < 24 || !std::all_of(password.begin(), password.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<';
        })) {
        throw Error(ErrorKind::InvalidInput, "MRZ information for PACE: at least 24 characters of 0-9 A-Z < expected");
    }
    SecureBytes in(password.begin(), password.end());
    Bytes digest = sha1(view(in));
    SecureBytes out(digest.begin(), digest.end());
    secure_wipe(digest.data(), digest.size());
    return out;
}

SecureBytes password_key(Protocol p, PasswordKind kind, std::string_view password) {
    return kdf_aes(view(password_secret(kind, password)), 3, key_length(p));
}

Bytes encrypt_nonce(ByteView k_pi, ByteView nonce) { return aes_cbc_encrypt(k_pi, Bytes(16, 0), nonce); }

SecureBytes decrypt_nonce(ByteView k_pi, ByteView encrypted_nonce) {
    if (encrypted_nonce.empty() || encrypted_nonce.size() % 16 != 0) {
        throw ParseError("PACE encrypted nonce: " + std::to_string(encrypted_nonce.size()) +
                         " bytes, a whole number of 16-byte AES blocks expected");
    }
    Bytes s = aes_cbc_decrypt(k_pi, Bytes(16, 0), encrypted_nonce);
    SecureBytes out(s.begin(), s.end());
    secure_wipe(s.data(), s.size());
    return out;
}

const Domain& Domain::get(DomainId id) {
    static const Domain p256(DomainId::NistP256, EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    static const Domain bp256(DomainId::BrainpoolP256r1, EC_GROUP_new_by_curve_name(NID_brainpoolP256r1));
    switch (id) {
        case DomainId::NistP256:
            if (!p256.group_) fail("EC_GROUP_new_by_curve_name(P-256)");
            return p256;
        case DomainId::BrainpoolP256r1:
            if (!bp256.group_) fail("EC_GROUP_new_by_curve_name(brainpoolP256r1)");
            return bp256;
    }
    throw Error(ErrorKind::InvalidInput, "PACE domain parameter id " + std::to_string(static_cast<int>(id)) +
                                             ": 12 (NIST P-256) or 13 (brainpoolP256r1) expected");
}

Bytes Domain::generator() const {
    auto ctx = new_ctx();
    return write_point(as_group(group_), EC_GROUP_get0_generator(as_group(group_)), ctx.get());
}

bool Domain::valid_scalar(ByteView d) const {
    if (d.size() != field_size()) return false;
    auto n = to_bn(d);
    return !BN_is_zero(n.get()) && BN_cmp(n.get(), EC_GROUP_get0_order(as_group(group_))) < 0;
}

void Domain::check_point(ByteView point) const {
    auto ctx = new_ctx();
    read_point(as_group(group_), point, ctx.get());
}

Bytes Domain::multiply(ByteView point, ByteView scalar) const {
    const EC_GROUP* g = as_group(group_);
    auto ctx = new_ctx();
    auto p = read_point(g, point, ctx.get());
    auto d = to_bn(scalar);
    Ptr<EC_POINT> r(EC_POINT_new(g));
    if (!r || EC_POINT_mul(g, r.get(), nullptr, p.get(), d.get(), ctx.get()) != 1) fail("EC_POINT_mul");
    return write_point(g, r.get(), ctx.get());
}

Bytes Domain::map_generic(ByteView nonce, ByteView h) const {
    const EC_GROUP* g = as_group(group_);
    auto ctx = new_ctx();
    auto hp = read_point(g, h, ctx.get());
    auto s = to_bn(nonce);
    Ptr<EC_POINT> r(EC_POINT_new(g));
    // s·G + 1·H in one call.
    Ptr<BIGNUM> one(BN_new());
    if (!one || BN_one(one.get()) != 1) fail("BN_one");
    if (!r || EC_POINT_mul(g, r.get(), s.get(), hp.get(), one.get(), ctx.get()) != 1) fail("EC_POINT_mul");
    return write_point(g, r.get(), ctx.get());
}

SecureBytes Domain::shared_secret(ByteView scalar, ByteView point) const {
    Bytes k = multiply(point, scalar);
    SecureBytes x(k.begin() + 1, k.begin() + 1 + static_cast<std::ptrdiff_t>(field_size()));
    secure_wipe(k.data(), k.size());
    return x;
}

Bytes token_input(Protocol p, ByteView public_point) {
    Bytes body;
    tlv::append(body, 0x06, oid(p));
    tlv::append(body, 0x86, public_point);
    return tlv::encode(0x7F49, body);
}

Bytes authentication_token(ByteView ks_mac, Protocol p, ByteView other_public_point) {
    const Bytes mac = aes_cmac(ks_mac, token_input(p, other_public_point));
    return Bytes(mac.begin(), mac.begin() + 8);
}

SessionKeys derive_session_keys(Protocol p, ByteView shared_secret) {
    return {kdf_aes(shared_secret, 1, key_length(p)), kdf_aes(shared_secret, 2, key_length(p))};
}

}  // namespace docketcard::crypto::pace
