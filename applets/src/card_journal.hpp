// The card journal: the change each command made to the card file image, appended to
// `<card file>.journal` with one fdatasync, so a command costs one flush instead of a whole new
// image (docs/sim.md, "Card journal format"). Pure byte functions here; CardFile does the I/O.
//
//   card file (base image B0)        <card file>.journal
//   +----------------------+         +---------------------------------------------+
//   | DOCKETCD ... SHA-256 |  <----  | header: magic, version, SHA-256(B0) = H0    |
//   +----------------------+         | record 1: L, hunks B0 -> B1, H1             |
//                                    | record 2: L, hunks B1 -> B2, H2             |
//                                    | ... (a torn or corrupt tail is cut off)     |
//                                    +---------------------------------------------+
//   Hi = SHA-256(Hi-1 || L || hunks): each record is bound to the base and to every record before.
#pragma once

#include <cstddef>
#include <string>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet::detail {

/// Largest card file image the card side reads or builds (CardFile::read refuses larger files).
inline constexpr std::size_t kMaxCardImage = 4 * 1024 * 1024;
/// Size of the journal header: magic "DOCKETJL", version (2), SHA-256 of the base image.
inline constexpr std::size_t kJournalHeader = 8 + 2 + 32;

/// The journal header for the base whose SHA-256 is `base_digest` (of the card file's bytes as
/// they are on disk).
Bytes journal_header(ByteView base_digest);

/// One record that turns `before` into `after`, chained to `chain` (the header's digest for the
/// first record, else the previous record's). `next_chain` receives this record's digest.
/// The hunks are the byte ranges that differ, so a command that changes a few bytes of a large
/// image writes a few bytes (plus 12 a hunk and 36 a record).
SecureBytes journal_record(ByteView chain, ByteView before, ByteView after, Bytes& next_chain);

/// What replaying a journal onto its base gave.
struct JournalReplay {
    SecureBytes image;          ///< the base with every verified record applied
    bool bound = false;         ///< the header is for this base (else nothing was applied)
    std::size_t records = 0;    ///< records applied
    std::size_t valid_end = 0;  ///< bytes of the journal up to the last applied record (0 unbound)
    Bytes chain;                ///< digest of the last applied record (the header's when none)
    std::string stopped;        ///< why replay stopped before the end of the journal, or empty
};

/// Applies the records of `journal` to `base` in order and stops at the first one that is torn,
/// fails its digest or does not fit the image; a journal whose header is short, has the wrong
/// magic or is for another base is ignored (bound false). Throws Error(InvalidInput) naming
/// `origin` only for a journal of another format version, whose records this build cannot read.
JournalReplay replay_journal(ByteView base, ByteView journal, const std::string& origin);

}  // namespace docketcard::applet::detail
