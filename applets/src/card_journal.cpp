#include "card_journal.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace {

constexpr std::array<std::uint8_t, 8> kMagic{'D', 'O', 'C', 'K', 'E', 'T', 'J', 'L'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kDigest = 32;
constexpr std::size_t kHunkHeader = 12;  // offset, removed, inserted: 4 bytes each
// Two changed runs closer than this are one hunk: a hunk header costs more than the bytes between.
constexpr std::size_t kMergeGap = kHunkHeader;

void put_u32(SecureBytes& out, std::size_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::size_t get_u32(ByteView b, std::size_t at) {
    return std::size_t{b[at]} << 24 | std::size_t{b[at + 1]} << 16 | std::size_t{b[at + 2]} << 8 | b[at + 3];
}

void put_hunk(SecureBytes& body, std::size_t offset, std::size_t removed, ByteView inserted) {
    put_u32(body, offset);
    put_u32(body, removed);
    put_u32(body, inserted.size());
    append(body, inserted);
}

Bytes chain_digest(ByteView chain, ByteView length_and_body) {
    SecureBytes covered(chain.begin(), chain.end());
    append(covered, length_and_body);
    return crypto::sha256(view(covered));
}

// The hunks of one record applied to `before`, or nullopt (with `why`) when they do not fit it:
// offsets in `before`, ascending, not overlapping, the result at most kMaxCardImage.
std::optional<SecureBytes> apply_hunks(ByteView before, ByteView body, std::string& why) {
    SecureBytes out;
    std::size_t pos = 0;  // next byte of `before` not yet copied or removed
    std::size_t at = 0;
    while (at < body.size()) {
        if (body.size() - at < kHunkHeader) {
            why = "a hunk header is truncated";
            return std::nullopt;
        }
        const std::size_t offset = get_u32(body, at), removed = get_u32(body, at + 4), inserted = get_u32(body, at + 8);
        at += kHunkHeader;
        if (offset < pos || offset > before.size() || removed > before.size() - offset) {
            why = fmt::format("a hunk at offset {} removing {} bytes does not fit a {}-byte image after offset {}", offset,
                              removed, before.size(), pos);
            return std::nullopt;
        }
        if (inserted > body.size() - at) {
            why = "a hunk's inserted bytes are truncated";
            return std::nullopt;
        }
        if (out.size() + (offset - pos) + inserted > kMaxCardImage) {
            why = "the image would exceed the card file size limit";
            return std::nullopt;
        }
        out.insert(out.end(), before.begin() + static_cast<std::ptrdiff_t>(pos),
                   before.begin() + static_cast<std::ptrdiff_t>(offset));
        append(out, body.subspan(at, inserted));
        at += inserted;
        pos = offset + removed;
    }
    if (out.size() + (before.size() - pos) > kMaxCardImage) {
        why = "the image would exceed the card file size limit";
        return std::nullopt;
    }
    out.insert(out.end(), before.begin() + static_cast<std::ptrdiff_t>(pos), before.end());
    return out;
}

}  // namespace

Bytes journal_header(ByteView base_digest) {
    if (base_digest.size() != kDigest) throw Error(ErrorKind::Internal, "card journal: the base digest must be 32 bytes");
    // Sized first: g++ 12 -O2 warns (-Warray-bounds, a false positive) about appending to a vector
    // built from a short range (as make_atr in card.cpp).
    Bytes h(kJournalHeader);
    std::copy(kMagic.begin(), kMagic.end(), h.begin());
    h[8] = static_cast<std::uint8_t>(kVersion >> 8);
    h[9] = static_cast<std::uint8_t>(kVersion);
    std::copy(base_digest.begin(), base_digest.end(), h.begin() + 10);
    return h;
}

SecureBytes journal_record(ByteView chain, ByteView before, ByteView after, Bytes& next_chain) {
    const std::size_t common = std::min(before.size(), after.size());
    std::size_t prefix = 0;
    while (prefix < common && before[prefix] == after[prefix]) ++prefix;
    std::size_t suffix = 0;
    while (suffix < common - prefix && before[before.size() - 1 - suffix] == after[after.size() - 1 - suffix]) ++suffix;

    SecureBytes record(4, 0);  // the length, filled in below
    const std::size_t old_mid = before.size() - prefix - suffix, new_mid = after.size() - prefix - suffix;
    if (old_mid != new_mid) {
        put_hunk(record, prefix, old_mid, after.subspan(prefix, new_mid));
    } else {
        // Same length: one hunk per changed run, so a command that moves a counter and writes a
        // file costs those bytes and the image's checksum, not everything between them.
        std::size_t i = prefix;
        const std::size_t end = prefix + old_mid;
        while (i < end) {
            if (before[i] == after[i]) {
                ++i;
                continue;
            }
            const std::size_t start = i;
            std::size_t last = i + 1;  // one past the last differing byte of this run
            for (std::size_t j = last; j < end && j - last < kMergeGap; ++j) {
                if (before[j] != after[j]) last = j + 1;
            }
            put_hunk(record, start, last - start, after.subspan(start, last - start));
            i = last;
        }
    }
    const std::size_t length = record.size() - 4;
    for (int k = 0; k < 4; ++k) record[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(length >> (24 - 8 * k));
    next_chain = chain_digest(chain, view(record));
    append(record, next_chain);
    return record;
}

JournalReplay replay_journal(ByteView base, ByteView journal, const std::string& origin) {
    JournalReplay r;
    r.image = secure_copy(base);
    if (journal.size() < kJournalHeader || !std::equal(kMagic.begin(), kMagic.end(), journal.begin())) {
        r.stopped = journal.empty() ? "" : "no journal header";
        return r;
    }
    const std::uint16_t version = get_u16(journal, kMagic.size());
    if (version != kVersion) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("card journal {} has format version {}; this build reads version {}", origin, version, kVersion));
    }
    const Bytes base_digest = crypto::sha256(base);
    if (!equal_ct(base_digest, journal.subspan(kMagic.size() + 2, kDigest))) {
        r.stopped = "the journal is for another card file image";
        return r;
    }
    r.bound = true;
    r.chain = base_digest;
    std::size_t at = kJournalHeader;
    r.valid_end = at;
    while (at < journal.size()) {
        const ByteView rest = journal.subspan(at);
        if (rest.size() < 4 + kDigest) {
            r.stopped = fmt::format("record {} is torn (header)", r.records + 1);
            return r;
        }
        const std::size_t length = get_u32(rest, 0);
        if (length > rest.size() - 4 - kDigest) {
            r.stopped = fmt::format("record {} is torn ({} bytes declared, {} present)", r.records + 1, length,
                                    rest.size() - 4 - kDigest);
            return r;
        }
        const Bytes digest = chain_digest(r.chain, rest.first(4 + length));
        if (!equal_ct(digest, rest.subspan(4 + length, kDigest))) {
            r.stopped = fmt::format("record {} fails its SHA-256 check", r.records + 1);
            return r;
        }
        std::string why;
        std::optional<SecureBytes> next = apply_hunks(view(r.image), rest.subspan(4, length), why);
        if (!next) {
            r.stopped = fmt::format("record {}: {}", r.records + 1, why);
            return r;
        }
        r.image = std::move(*next);
        r.chain = digest;
        ++r.records;
        at += 4 + length + kDigest;
        r.valid_end = at;
    }
    return r;
}

}  // namespace docketcard::applet::detail
