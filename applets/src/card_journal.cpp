#include "card_journal.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace {

constexpr std::array<std::uint8_t, 8> kMagic{'D', 'O', 'C', 'K', 'E', 'T', 'J', 'L'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kDigest = 32;
constexpr std::size_t kHunkHeader = 12;  // offset, removed, inserted: 4 bytes each
// A changed run is an in-place hunk when this many equal bytes follow it (runs closer than that
// are one hunk: a hunk header costs about as much as the bytes between).
constexpr std::size_t kAnchor = 16;

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

// Walks positions 0 .. limit-1 of two aligned images (`same(i)`: byte i is equal in both) and
// collects each differing run that at least kAnchor equal bytes follow (runs closer than that are
// one); returns where alignment ends: the start of the first run without such an anchor, or limit.
template <typename Same>
std::size_t aligned_runs(Same same, std::size_t limit, std::vector<std::pair<std::size_t, std::size_t>>& runs) {
    std::size_t i = 0;
    while (i < limit) {
        if (same(i)) {
            ++i;
            continue;
        }
        std::size_t last = i + 1;  // one past the last differing byte of this run
        std::size_t j = last;
        for (; j < limit && j - last < kAnchor; ++j) {
            if (!same(j)) last = j + 1;
        }
        if (j - last < kAnchor) return i;  // no anchor before the end
        runs.emplace_back(i, last);
        i = last;
    }
    return limit;
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
    // Aligned from the front, then from the back: each differing run followed by kAnchor equal
    // bytes is an in-place hunk; where that stops holding (a length change shifted the rest), the
    // bytes up to the back-aligned part are one hunk. Any alignment gives a correct record; this
    // one keeps an insertion in a file from copying the whole rest of the image, whose length
    // field near the start and checksum at the end change with every command.
    const std::size_t nb = before.size(), na = after.size();
    std::vector<std::pair<std::size_t, std::size_t>> front;  // [begin, end), same in both images
    const std::size_t front_end = aligned_runs(
        [&](std::size_t i) { return before[i] == after[i]; }, std::min(nb, na), front);
    std::vector<std::pair<std::size_t, std::size_t>> back;  // [begin, end) counted from the ends
    const std::size_t back_end = aligned_runs(
        [&](std::size_t i) { return before[nb - 1 - i] == after[na - 1 - i]; }, std::min(nb, na) - front_end, back);

    SecureBytes record(4, 0);  // the length, filled in below
    for (const auto& [b, e] : front) put_hunk(record, b, e - b, after.subspan(b, e - b));
    const std::size_t old_mid = nb - front_end - back_end, new_mid = na - front_end - back_end;
    if (old_mid != 0 || new_mid != 0) put_hunk(record, front_end, old_mid, after.subspan(front_end, new_mid));
    for (auto it = back.rbegin(); it != back.rend(); ++it) {
        const auto [b, e] = *it;  // e.g. the checksum, (0, 32)
        put_hunk(record, nb - e, e - b, after.subspan(na - e, e - b));
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
