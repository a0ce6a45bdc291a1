#include "state.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace {

constexpr std::array<std::uint8_t, 8> kMagic{'D', 'O', 'C', 'K', 'E', 'T', 'C', 'D'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kHeader = kMagic.size() + 2 + 4;
constexpr std::size_t kDigest = 32;

// Payload tags (private class, docs/sim.md).
constexpr tlv::Tag kSerial = 0xC1, kKvn = 0xC2, kEnc = 0xC3, kMac = 0xC4, kDek = 0xC5, kState = 0xC6,
                   kCounter = 0xC7, kFailures = 0xC8, kTicket = 0xC9, kBacSeed = 0xCA, kAaKey = 0xCB,
                   kMrzSecret = 0xCC, kCan = 0xCD, kCanFailures = 0xCE, kPaceOnly = 0xCF, kCaKey = 0xD0,
                   kFile = 0xE1, kFid = 0x80, kContent = 0x81, kWritten = 0x82;

void put(SecureBytes& out, tlv::Tag tag, ByteView value) {
    const Bytes t = tlv::encode_tag(tag);
    const Bytes l = tlv::encode_length(value.size());
    append(out, t);
    append(out, l);
    append(out, value);
}

void put_byte(SecureBytes& out, tlv::Tag tag, std::uint8_t v) { put(out, tag, Bytes{v}); }

[[noreturn]] void corrupt(const std::string& origin, const std::string& why) {
    throw Error(ErrorKind::InvalidInput, fmt::format("card file {} is corrupt or not a card file: {}", origin, why));
}

bool valid_state(std::uint8_t v) {
    return v == 0x01 || v == 0x03 || v == 0x07 || v == 0x0F || v == 0x7F;
}

}  // namespace

void ElementaryFile::mark_written(std::size_t offset, std::size_t length) {
    if (length == 0) return;
    auto b = static_cast<std::uint16_t>(offset);
    auto e = static_cast<std::uint16_t>(offset + length);
    std::vector<std::pair<std::uint16_t, std::uint16_t>> merged;
    for (const auto& r : written) {
        if (r.second < b || r.first > e) {
            merged.push_back(r);
        } else {
            b = std::min(b, r.first);
            e = std::max(e, r.second);
        }
    }
    merged.emplace_back(b, e);
    std::sort(merged.begin(), merged.end());
    written = std::move(merged);
}

std::size_t ElementaryFile::written_prefix() const noexcept {
    if (written.empty() || written.front().first != 0) return 0;
    return written.front().second;
}

std::size_t PersistentState::used_bytes() const noexcept {
    std::size_t n = 0;
    for (const auto& [fid, f] : files) n += f.content.size();
    return n;
}

namespace {

/// Appends the runs of bytes where `a` and `b` differ (of equal length) to `out`, as area ranges.
void diff_runs(std::uint32_t area, std::size_t base, ByteView a, ByteView b, std::vector<NvmRange>& out) {
    const std::size_t n = std::max(a.size(), b.size());
    std::size_t i = 0;
    while (i < n) {
        const auto differs = [&](std::size_t k) { return k >= a.size() || k >= b.size() || a[k] != b[k]; };
        if (!differs(i)) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < n && differs(j)) ++j;
        out.push_back({area, base + i, base + j});
        i = j;
    }
}

/// The system area's fields at fixed offsets, each at its largest size.
Bytes system_area(const PersistentState& s) {
    Bytes out(s.serial.begin(), s.serial.end());
    out.resize(10);
    out.push_back(s.kvn);
    for (const SecureBytes* k : {&s.k_enc, &s.k_mac, &s.k_dek}) {
        Bytes key(k->begin(), k->end());
        key.resize(32);
        append(out, key);
    }
    out.push_back(static_cast<std::uint8_t>(s.state));
    out.push_back(static_cast<std::uint8_t>(s.sequence_counter >> 16));
    out.push_back(static_cast<std::uint8_t>(s.sequence_counter >> 8));
    out.push_back(static_cast<std::uint8_t>(s.sequence_counter));
    out.push_back(s.scp_failures);
    Bytes ticket = s.ticket;
    ticket.resize(std::max<std::size_t>(ticket.size(), 64));
    Bytes bac(s.bac_seed.begin(), s.bac_seed.end()), aa(s.aa_scalar.begin(), s.aa_scalar.end());
    bac.resize(16);
    aa.resize(32);
    append(out, bac);
    append(out, aa);
    append(out, ticket);
    Bytes mrz(s.mrz_secret.begin(), s.mrz_secret.end()), can(s.can.begin(), s.can.end());
    mrz.resize(20);
    can.resize(6);
    append(out, mrz);
    append(out, can);
    out.push_back(s.can_failures);
    out.push_back(s.pace_only ? 1 : 0);
    Bytes ca(s.ca_scalar.begin(), s.ca_scalar.end());
    ca.resize(32);
    append(out, ca);
    return out;
}

Bytes control_information(const ElementaryFile& f) {
    Bytes out;
    put_u16(out, static_cast<std::uint16_t>(f.content.size()));
    for (const auto& [b, e] : f.written) {
        put_u16(out, b);
        put_u16(out, e);
    }
    return out;
}

}  // namespace

std::vector<NvmRange> changed_regions(const PersistentState& before, const PersistentState& after) {
    std::vector<NvmRange> out;
    const Bytes sys_a = system_area(before), sys_b = system_area(after);
    diff_runs(0, 0, sys_a, sys_b, out);
    for (const auto& [fid, f] : after.files) {
        const auto old = before.files.find(fid);
        const Bytes ci_b = control_information(f);
        const Bytes ci_a = old == before.files.end() ? Bytes{} : control_information(old->second);
        diff_runs(0x10000u | fid, 0, ci_a, ci_b, out);
        if (old != before.files.end()) diff_runs(fid, 0, old->second.content, f.content, out);
    }
    return out;
}

std::size_t pages_touched(const std::vector<NvmRange>& regions, std::size_t page_size) {
    if (page_size == 0) return 0;
    std::set<std::pair<std::uint32_t, std::size_t>> pages;
    for (const auto& r : regions)
        for (std::size_t p = r.begin / page_size; r.end > r.begin && p <= (r.end - 1) / page_size; ++p)
            pages.emplace(r.area, p);
    return pages.size();
}

SecureBytes serialize(const PersistentState& s) {
    SecureBytes payload;
    put(payload, kSerial, s.serial);
    put_byte(payload, kKvn, s.kvn);
    put(payload, kEnc, view(s.k_enc));
    put(payload, kMac, view(s.k_mac));
    put(payload, kDek, view(s.k_dek));
    put_byte(payload, kState, static_cast<std::uint8_t>(s.state));
    put(payload, kCounter,
        Bytes{static_cast<std::uint8_t>(s.sequence_counter >> 16), static_cast<std::uint8_t>(s.sequence_counter >> 8),
              static_cast<std::uint8_t>(s.sequence_counter)});
    put_byte(payload, kFailures, s.scp_failures);
    if (!s.ticket.empty()) put(payload, kTicket, s.ticket);
    if (!s.bac_seed.empty()) put(payload, kBacSeed, view(s.bac_seed));
    if (!s.aa_scalar.empty()) put(payload, kAaKey, view(s.aa_scalar));
    // The PACE fields are written only when set, so a card without them keeps its old image.
    if (!s.mrz_secret.empty()) put(payload, kMrzSecret, view(s.mrz_secret));
    if (!s.can.empty()) put(payload, kCan, view(s.can));
    if (s.can_failures != 0) put_byte(payload, kCanFailures, s.can_failures);
    if (s.pace_only) put_byte(payload, kPaceOnly, 1);
    if (!s.ca_scalar.empty()) put(payload, kCaKey, view(s.ca_scalar));
    for (const auto& [fid, f] : s.files) {
        Bytes fid_b, ranges;
        put_u16(fid_b, fid);
        for (const auto& [b, e] : f.written) {
            put_u16(ranges, b);
            put_u16(ranges, e);
        }
        const Bytes body = concat({tlv::encode(kFid, fid_b), tlv::encode(kContent, f.content), tlv::encode(kWritten, ranges)});
        put(payload, kFile, body);
    }

    SecureBytes image(kMagic.begin(), kMagic.end());
    image.push_back(static_cast<std::uint8_t>(kVersion >> 8));
    image.push_back(static_cast<std::uint8_t>(kVersion));
    const auto len = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) image.push_back(static_cast<std::uint8_t>(len >> shift));
    append(image, view(payload));
    const Bytes digest = crypto::sha256(view(image));
    append(image, digest);
    return image;
}

PersistentState deserialize(ByteView image, const std::string& origin) {
    if (image.size() < kHeader + kDigest) corrupt(origin, fmt::format("{} bytes is too short", image.size()));
    if (!std::equal(kMagic.begin(), kMagic.end(), image.begin())) corrupt(origin, "wrong magic");
    const std::uint16_t version = get_u16(image, kMagic.size());
    if (version != kVersion) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("card file {} has format version {}; this build reads version {}", origin, version, kVersion));
    }
    std::uint32_t len = 0;
    for (std::size_t i = 0; i < 4; ++i) len = (len << 8) | image[kMagic.size() + 2 + i];
    if (image.size() != kHeader + len + kDigest) {
        corrupt(origin, fmt::format("payload length {} does not match the file size {}", len, image.size()));
    }
    const ByteView covered = image.first(kHeader + len);
    if (!equal_ct(crypto::sha256(covered), image.subspan(kHeader + len))) corrupt(origin, "SHA-256 checksum mismatch");

    PersistentState s;
    bool seen_serial = false, seen_keys = false, seen_state = false;
    std::set<tlv::Tag> seen_fields;
    try {
        tlv::Reader r(image.subspan(kHeader, len), "card file payload");
        while (!r.empty()) {
            const tlv::Object o = r.next();
            const ByteView v = o.value;
            if (o.tag != kFile && !seen_fields.insert(o.tag).second) corrupt(origin, fmt::format("field {:X} appears twice", o.tag));
            auto one_byte = [&]() -> std::uint8_t {
                if (v.size() != 1) corrupt(origin, fmt::format("field {:02X} is not one byte", o.tag));
                return v[0];
            };
            switch (o.tag) {
                case kSerial:
                    if (v.size() != 10) corrupt(origin, "serial is not 10 bytes");
                    s.serial.assign(v.begin(), v.end());
                    seen_serial = true;
                    break;
                case kKvn: s.kvn = one_byte(); break;
                case kEnc: s.k_enc = secure_copy(v); seen_keys = true; break;
                case kMac: s.k_mac = secure_copy(v); break;
                case kDek: s.k_dek = secure_copy(v); break;
                case kState: {
                    const std::uint8_t st = one_byte();
                    if (!valid_state(st)) corrupt(origin, fmt::format("unknown lifecycle state {:02X}", st));
                    s.state = static_cast<Lifecycle>(st);
                    seen_state = true;
                    break;
                }
                case kCounter:
                    if (v.size() != 3) corrupt(origin, "sequence counter is not 3 bytes");
                    s.sequence_counter = static_cast<std::uint32_t>((v[0] << 16) | (v[1] << 8) | v[2]);
                    break;
                case kFailures: s.scp_failures = one_byte(); break;
                case kTicket: s.ticket.assign(v.begin(), v.end()); break;
                case kBacSeed:
                    if (v.size() != 16) corrupt(origin, "BAC seed is not 16 bytes");
                    s.bac_seed = secure_copy(v);
                    break;
                case kAaKey:
                    if (v.size() != 32) corrupt(origin, "AA key is not 32 bytes");
                    s.aa_scalar = secure_copy(v);
                    break;
                case kMrzSecret:
                    if (v.size() != 20) corrupt(origin, "PACE MRZ secret is not 20 bytes");
                    s.mrz_secret = secure_copy(v);
                    break;
                case kCan:
                    if (v.size() != 6 || !std::all_of(v.begin(), v.end(), [](std::uint8_t c) { return c >= '0' && c <= '9'; }))
                        corrupt(origin, "CAN is not 6 digits");
                    s.can = secure_copy(v);
                    break;
                case kCanFailures: s.can_failures = one_byte(); break;
                case kPaceOnly:
                    if (one_byte() != 1) corrupt(origin, "PACE-only flag is not 01");
                    s.pace_only = true;
                    break;
                case kCaKey:
                    if (v.size() != 32) corrupt(origin, "CA key is not 32 bytes");
                    s.ca_scalar = secure_copy(v);
                    break;
                case kFile: {
                    tlv::Reader fr(v, "card file EF record");
                    const tlv::Object fid = fr.expect(kFid);
                    const tlv::Object content = fr.expect(kContent);
                    const tlv::Object ranges = fr.expect(kWritten);
                    fr.expect_end();
                    if (fid.value.size() != 2) corrupt(origin, "file identifier is not 2 bytes");
                    if (content.value.empty() || content.value.size() > kMaxFileSize) corrupt(origin, "file size out of range");
                    if (ranges.value.size() % 4 != 0) corrupt(origin, "written ranges are not pairs of 2-byte offsets");
                    ElementaryFile f;
                    f.content.assign(content.value.begin(), content.value.end());
                    for (std::size_t i = 0; i < ranges.value.size(); i += 4) {
                        const std::uint16_t b = get_u16(ranges.value, i), e = get_u16(ranges.value, i + 2);
                        if (b >= e || e > f.content.size()) corrupt(origin, "written range outside its file");
                        f.mark_written(b, e - b);
                    }
                    if (!s.files.emplace(get_u16(fid.value, 0), std::move(f)).second) corrupt(origin, "duplicate file");
                    break;
                }
                default: corrupt(origin, fmt::format("unknown field {:X}", o.tag));
            }
        }
    } catch (const ParseError& e) {
        corrupt(origin, e.what());
    }
    if (!seen_serial || !seen_keys || !seen_state || s.k_mac.empty() || s.k_dek.empty()) {
        corrupt(origin, "a mandatory field (serial, keys, state) is missing");
    }
    const std::size_t key_len = s.k_enc.size();
    if ((key_len != 16 && key_len != 24 && key_len != 32) || s.k_mac.size() != key_len || s.k_dek.size() != key_len) {
        corrupt(origin, "the static keys are not three AES keys (16, 24 or 32 bytes) of one length");
    }
    if (s.used_bytes() > kStorageBudget) corrupt(origin, "files exceed the storage budget");
    return s;
}

}  // namespace docketcard::applet::detail
