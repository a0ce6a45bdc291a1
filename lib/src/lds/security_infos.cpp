#include "docketcard/lds/security_infos.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::lds {

namespace pace = crypto::pace;

namespace {

// A non-negative DER INTEGER of at most 4 content octets (the versions and ids of 9.2 are small).
int small_integer(const tlv::Object& o, const std::string& what) {
    if (o.tag != 0x02) throw ParseError(fmt::format("{}: expected an INTEGER, found tag {:02X}", what, o.tag));
    if (o.value.empty() || o.value.size() > 4 || (o.value[0] & 0x80) != 0)
        throw ParseError(fmt::format("{}: not a small non-negative INTEGER", what));
    long v = 0;
    for (std::uint8_t b : o.value) v = (v << 8) | b;
    return static_cast<int>(v);
}

// id-PACE = 0.4.0.127.0.7.2.2.4 (Part 11 9.2.1): content octets 04 00 7F 00 07 02 02 04.
bool is_pace_oid(ByteView oid) {
    static const Bytes prefix = from_hex("04007F0007020204");
    return oid.size() == prefix.size() + 2 && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

// id-CA-ECDH = 0.4.0.127.0.7.2.2.3.2 (Part 11 9.2.5); id-PK-ECDH = 0.4.0.127.0.7.2.2.1.2 (9.2.6).
bool is_ca_oid(ByteView oid) {
    static const Bytes prefix = from_hex("04007F000702020302");
    return oid.size() == prefix.size() + 1 && std::equal(prefix.begin(), prefix.end(), oid.begin());
}
const Bytes& pk_ecdh_oid() {
    static const Bytes oid = from_hex("04007F000702020102");
    return oid;
}
const Bytes& ec_public_key_oid() {   // 1.2.840.10045.2.1
    static const Bytes oid = from_hex("2A8648CE3D0201");
    return oid;
}
const Bytes& curve_oid(pace::DomainId d) {
    static const Bytes brainpool = from_hex("2B2403030208010107");   // 1.3.36.3.3.2.8.1.1.7
    static const Bytes p256 = from_hex("2A8648CE3D030107");           // 1.2.840.10045.3.1.7
    return d == pace::DomainId::BrainpoolP256r1 ? brainpool : p256;
}

// SubjectPublicKeyInfo { AlgorithmIdentifier { id-ecPublicKey, namedCurve }, BIT STRING point }.
std::optional<ChipAuthPublicKey> parse_ca_key(tlv::Reader& fields, const std::string& what) {
    const tlv::Object spki = fields.next();
    if (spki.tag != 0x30) throw ParseError(what + ": chipAuthenticationPublicKey is not a SubjectPublicKeyInfo");
    tlv::Reader s(spki.value, what);
    const tlv::Object alg = s.expect(0x30);
    const tlv::Object bits = s.expect(0x03);
    s.expect_end();
    tlv::Reader a(alg.value, what);
    const tlv::Object alg_oid = a.expect(0x06);
    if (a.empty()) throw ParseError(what + ": the key's algorithm has no domain parameters");
    const tlv::Object params = a.next();
    if (bits.value.size() < 2 || bits.value[0] != 0x00) throw ParseError(what + ": the public key BIT STRING is malformed");
    if (!std::equal(alg_oid.value.begin(), alg_oid.value.end(), ec_public_key_oid().begin(), ec_public_key_oid().end()) ||
        params.tag != 0x06)
        return std::nullopt;   // explicit parameters or another algorithm: not ours
    ChipAuthPublicKey k;
    bool known = false;
    for (pace::DomainId d : {pace::DomainId::BrainpoolP256r1, pace::DomainId::NistP256}) {
        const Bytes& c = curve_oid(d);
        if (std::equal(params.value.begin(), params.value.end(), c.begin(), c.end())) {
            k.domain = d;
            known = true;
        }
    }
    if (!known) return std::nullopt;
    k.public_point.assign(bits.value.begin() + 1, bits.value.end());
    return k;
}

}  // namespace

bool PaceInfo::usable() const noexcept {
    if (!protocol || version != 2 || !parameter_id) return false;
    if (*protocol != pace::Protocol::PaceEcdhGmAes128 && *protocol != pace::Protocol::PaceEcdhGmAes256) return false;
    return *parameter_id == static_cast<int>(pace::DomainId::BrainpoolP256r1) ||
           *parameter_id == static_cast<int>(pace::DomainId::NistP256);
}

pace::DomainId PaceInfo::domain() const {
    if (!usable()) throw Error(ErrorKind::InvalidInput, "PACEInfo: not a protocol and domain docketcard speaks");
    return static_cast<pace::DomainId>(*parameter_id);
}

const PaceInfo* SecurityInfos::usable_pace() const noexcept {
    for (const auto& p : pace)
        if (p.usable()) return &p;
    return nullptr;
}

SecurityInfos parse_security_infos(ByteView der, const std::string& context) {
    const tlv::Object set = tlv::parse_single(der, context);
    if (set.tag != 0x31) throw ParseError(fmt::format("{}: expected a SET (31), found tag {:02X}", context, set.tag));
    SecurityInfos out;
    tlv::Reader items(set.value, context);
    for (int index = 1; !items.empty(); ++index) {
        const std::string what = fmt::format("{} SecurityInfo {}", context, index);
        const tlv::Object info = items.next();
        if (info.tag != 0x30) throw ParseError(fmt::format("{}: expected a SEQUENCE (30), found tag {:02X}", what, info.tag));
        tlv::Reader fields(info.value, what);
        const tlv::Object oid = fields.next();
        if (oid.tag != 0x06 || oid.value.empty())
            throw ParseError(fmt::format("{}: does not begin with an OBJECT IDENTIFIER", what));
        if (is_ca_oid(oid.value)) {
            ChipAuthInfo ca;
            ca.protocol_oid.assign(oid.value.begin(), oid.value.end());
            if (fields.empty()) throw ParseError(fmt::format("{}: ChipAuthenticationInfo without its version", what));
            ca.version = small_integer(fields.next(), what + " version");
            if (!fields.empty()) ca.key_id = small_integer(fields.next(), what + " keyId");
            fields.expect_end();
            pace::Protocol known{};
            if (pace::protocol_from_oid(oid.value, known) &&
                (known == pace::Protocol::CaEcdhAes128 || known == pace::Protocol::CaEcdhAes256))
                ca.protocol = known;
            out.chip_auth.push_back(std::move(ca));
            continue;
        }
        if (std::equal(oid.value.begin(), oid.value.end(), pk_ecdh_oid().begin(), pk_ecdh_oid().end())) {
            if (fields.empty()) throw ParseError(fmt::format("{}: ChipAuthenticationPublicKeyInfo without its key", what));
            std::optional<ChipAuthPublicKey> key = parse_ca_key(fields, what);
            if (!fields.empty() && key) key->key_id = small_integer(fields.next(), what + " keyId");
            if (key) out.chip_auth_keys.push_back(std::move(*key));
            continue;
        }
        if (!is_pace_oid(oid.value)) {
            out.other_oids.emplace_back(oid.value.begin(), oid.value.end());
            continue;
        }
        PaceInfo p;
        p.protocol_oid.assign(oid.value.begin(), oid.value.end());
        if (fields.empty()) throw ParseError(fmt::format("{}: PACEInfo without its version", what));
        p.version = small_integer(fields.next(), what + " version");
        if (!fields.empty()) p.parameter_id = small_integer(fields.next(), what + " parameterId");
        fields.expect_end();
        pace::Protocol known{};
        if (pace::protocol_from_oid(oid.value, known) &&
            (known == pace::Protocol::PaceEcdhGmAes128 || known == pace::Protocol::PaceEcdhGmAes256))
            p.protocol = known;
        out.pace.push_back(std::move(p));
    }
    return out;
}

Bytes encode_card_access(pace::Protocol protocol, pace::DomainId domain) {
    const Bytes info = tlv::encode(0x30, {tlv::encode(0x06, pace::oid(protocol)), tlv::encode(0x02, Bytes{0x02}),
                                          tlv::encode(0x02, Bytes{static_cast<std::uint8_t>(domain)})});
    return tlv::encode(0x31, info);
}

Bytes encode_dg14_pace_ca(ByteView ca_point) {
    const Bytes aa = tlv::encode(0x30, {from_hex("0606678108010105"), from_hex("020101"), from_hex("06082A8648CE3D040302")});
    const Bytes card_access_file = encode_card_access(pace::Protocol::PaceEcdhGmAes128, pace::DomainId::BrainpoolP256r1);
    const tlv::Object card_access = tlv::parse_single(card_access_file);
    const Bytes ca_info =
        tlv::encode(0x30, {tlv::encode(0x06, pace::oid(pace::Protocol::CaEcdhAes128)), tlv::encode(0x02, Bytes{0x01})});
    Bytes bits{0x00};
    append(bits, ca_point);
    const Bytes spki = tlv::encode(0x30, {tlv::encode(0x30, {tlv::encode(0x06, ec_public_key_oid()),
                                                            tlv::encode(0x06, curve_oid(pace::DomainId::BrainpoolP256r1))}),
                                          tlv::encode(0x03, bits)});
    const Bytes ca_key = tlv::encode(0x30, {tlv::encode(0x06, pk_ecdh_oid()), spki});
    return tlv::encode(0x6E, {tlv::encode(0x31, {aa, card_access.value, ca_info, ca_key})});
}

SecurityInfos parse_dg14(ByteView dg14) {
    const tlv::Object outer = tlv::parse_single(dg14, "DG14");
    if (outer.tag != 0x6E) throw ParseError(fmt::format("DG14: expected tag 6E, found {:02X}", outer.tag));
    return parse_security_infos(outer.value, "DG14");
}

}  // namespace docketcard::lds
