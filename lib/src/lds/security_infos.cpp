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

}  // namespace docketcard::lds
