// The card file on disk: an exclusive lock while a Card serves it, and atomic replacement of its
// content (write a temporary file, fsync, rename over the card file, fsync the directory), so a
// crash or tear at any instant leaves either the old or the new image (docs/sim.md).
#pragma once

#include <filesystem>
#include <optional>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet::detail {

/// A locked card file. The lock is flock(2) on `<file>.lock` (the card file itself is replaced
/// by rename on every commit, so it cannot carry the lock).
class CardFile {
public:
    /// Takes the lock; throws Error(Communication) when another process holds it.
    explicit CardFile(std::filesystem::path file);
    ~CardFile();
    CardFile(const CardFile&) = delete;
    CardFile& operator=(const CardFile&) = delete;

    /// The current image, or nullopt when the card file does not exist yet.
    std::optional<SecureBytes> read() const;
    /// Atomically replaces the image (mode 0600). Throws Error(Internal) on an I/O failure.
    void write(ByteView image) const;
    const std::filesystem::path& path() const noexcept { return file_; }

private:
    std::filesystem::path file_;
    int lock_fd_ = -1;
};

}  // namespace docketcard::applet::detail
