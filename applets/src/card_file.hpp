// The card file on disk: an exclusive lock while a Card serves it, a base image replaced
// atomically (write a temporary file, fsync, rename over the card file, fsync the directory), and
// a journal beside it (`<file>.journal`, card_journal.hpp) that takes each command's change with
// one append and one fdatasync, folded into a new base on close and when it grows past a bound.
// A crash or tear at any instant leaves either the old or the new image (docs/sim.md,
// "Persistence: one command, all or nothing").
#pragma once

#include <filesystem>
#include <optional>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet::detail {

/// A locked card file and its journal. The lock is flock(2) on `<file>.lock` (the card file
/// itself is replaced by rename on every compaction, so it cannot carry the lock).
class CardFile {
public:
    /// Journal size past which the next commit compacts instead of appending.
    static constexpr std::size_t kCompactAt = 256 * 1024;

    /// Takes the lock; throws Error(Communication) when another process holds it.
    explicit CardFile(std::filesystem::path file);
    /// Compacts when this object appended to the journal (errors are swallowed: the journal still
    /// replays).
    ~CardFile();
    CardFile(const CardFile&) = delete;
    CardFile& operator=(const CardFile&) = delete;

    /// The current image: the base with the journal's verified records applied (a torn or
    /// corrupt tail is ignored and cut off at the next commit), or nullopt when the card file
    /// does not exist yet. Throws Error(InvalidInput) on an unreadable or oversized file.
    std::optional<SecureBytes> read();
    /// Commits `image` as the new current image (mode 0600): one journal record and one
    /// fdatasync, or a compaction when there is no base yet, the journal would pass kCompactAt
    /// or an earlier commit failed. Throws Error(Internal) on an I/O failure; the current image
    /// is then unchanged.
    void write(ByteView image);
    /// Writes the current image as the new base (temporary file, fsync, rename, fsync of the
    /// directory) and empties the journal. Throws Error(Internal) on an I/O failure.
    void compact();

    const std::filesystem::path& path() const noexcept { return file_; }
    const std::filesystem::path& journal_path() const noexcept { return journal_; }
    /// Records in the journal since the last compaction (replayed ones included).
    std::size_t journal_records() const noexcept { return records_; }

private:
    void write_base(ByteView image) const;
    void compact_to(ByteView image);
    void append(ByteView record);

    std::filesystem::path file_, journal_;
    int lock_fd_ = -1;
    int journal_fd_ = -1;
    bool journal_created_ = false;  ///< this object created the journal file (its folder needs an fsync)
    bool have_base_ = false;
    bool must_compact_ = false;     ///< a failed append may have left a record: rewrite the base
    bool committed_ = false;        ///< this object appended a record (compact on close)
    SecureBytes image_;             ///< the current image
    Bytes base_digest_;             ///< SHA-256 of the base on disk
    Bytes chain_;                   ///< digest of the last record, or base_digest_ when none
    std::size_t journal_end_ = 0;   ///< end of the last valid record; 0 when the journal needs a header
    std::size_t journal_size_ = 0;  ///< the journal's size on disk (> journal_end_ after a torn tail)
    std::size_t records_ = 0;
};

}  // namespace docketcard::applet::detail
