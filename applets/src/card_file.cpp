#include "card_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include "card_journal.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace {

// A journal is at most kCompactAt long when this build writes it; a little slack for others.
constexpr std::size_t kMaxJournal = 16 * 1024 * 1024;

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& p) {
    throw Error(ErrorKind::Internal, fmt::format("card file: {} {} failed: {}", what, p.string(), std::strerror(errno)));
}

void pwrite_all(int fd, ByteView data, std::size_t offset, const std::filesystem::path& p) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            io_fail("write", p);
        }
        done += static_cast<std::size_t>(n);
    }
}

void fsync_directory(const std::filesystem::path& file) {
    std::filesystem::path dir = file.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) io_fail("open directory", dir);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) io_fail("fsync directory", dir);
}

// The whole of an open file from offset 0; closes `fd` unless it is the journal's (kept).
SecureBytes read_all(int fd, std::size_t limit, const char* what, const std::filesystem::path& p, bool keep_open) {
    SecureBytes out;
    std::uint8_t buf[8192];
    std::size_t at = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(at));
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            if (!keep_open) ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot read {} {}: {}", what, p.string(), std::strerror(err)));
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
        at += static_cast<std::size_t>(n);
        if (out.size() > limit) {
            secure_wipe(buf, sizeof buf);
            if (!keep_open) ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("{} {} is too large to be a {}", what, p.string(), what));
        }
    }
    secure_wipe(buf, sizeof buf);
    if (!keep_open) ::close(fd);
    return out;
}

}  // namespace

CardFile::CardFile(std::filesystem::path file) : file_(std::move(file)) {
    journal_ = file_;
    journal_ += ".journal";
    std::filesystem::path lock = file_;
    lock += ".lock";
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) {
        throw Error(ErrorKind::Communication,
                    fmt::format("cannot open the card lock file {}: {}", lock.string(), std::strerror(errno)));
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(lock_fd_);
        lock_fd_ = -1;
        if (err == EWOULDBLOCK) {
            throw Error(ErrorKind::Communication,
                        fmt::format("card file {} is in use by another process (lock {})", file_.string(), lock.string()));
        }
        throw Error(ErrorKind::Communication, fmt::format("cannot lock {}: {}", lock.string(), std::strerror(err)));
    }
}

CardFile::~CardFile() {
    // Only after a commit of its own: an image replayed but never committed may be one the card
    // refuses, and must not replace a base that may be good.
    if (have_base_ && (committed_ || must_compact_)) {
        try {
            compact();
        } catch (const std::exception&) {
            // The journal still holds every committed command: the next open replays it.
        }
    }
    if (journal_fd_ >= 0) ::close(journal_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

std::optional<SecureBytes> CardFile::read() {
    const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        throw Error(ErrorKind::InvalidInput, fmt::format("cannot open card file {}: {}", file_.string(), std::strerror(errno)));
    }
    if (journal_fd_ < 0) {
        journal_fd_ = ::open(journal_.c_str(), O_RDWR | O_CLOEXEC);
        if (journal_fd_ < 0 && errno != ENOENT) {
            const int err = errno;
            if (fd >= 0) ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot open card journal {}: {}", journal_.string(), std::strerror(err)));
        }
    }
    if (fd < 0) {
        // No card yet: whatever journal is there belongs to no base; the first commit writes a base.
        have_base_ = false;
        return std::nullopt;
    }
    const SecureBytes base = read_all(fd, kMaxCardImage, "card file", file_, false);
    SecureBytes journal;
    if (journal_fd_ >= 0) journal = read_all(journal_fd_, kMaxJournal, "card journal", journal_, true);
    JournalReplay r = replay_journal(view(base), view(journal), journal_.string());
    have_base_ = true;
    base_digest_ = crypto::sha256(view(base));
    journal_size_ = journal.size();
    if (r.bound) {
        chain_ = std::move(r.chain);
        journal_end_ = r.valid_end;
        records_ = r.records;
    } else {
        chain_ = base_digest_;
        journal_end_ = 0;
        records_ = 0;
    }
    image_ = std::move(r.image);
    return image_;
}

void CardFile::write(ByteView image) {
    if (!have_base_ || must_compact_) {
        compact_to(image);
        return;
    }
    Bytes next_chain;
    const SecureBytes record = journal_record(chain_, view(image_), image, next_chain);
    const std::size_t end = (journal_end_ == 0 ? kJournalHeader : journal_end_) + record.size();
    if (end > kCompactAt) {
        compact_to(image);
        return;
    }
    append(view(record));
    committed_ = true;
    image_ = secure_copy(image);
    chain_ = std::move(next_chain);
    ++records_;
}

void CardFile::compact() { compact_to(view(image_)); }

void CardFile::compact_to(ByteView image) {
    write_base(image);
    have_base_ = true;
    must_compact_ = false;
    base_digest_ = crypto::sha256(image);
    chain_ = base_digest_;
    image_ = secure_copy(image);  // a new buffer first: `image` may be image_ itself
    records_ = 0;
    journal_end_ = 0;
    // The journal is now for the previous base and would be ignored; emptying it drops the
    // records (and the secrets in them) at once. No flush needed: empty or stale, it is ignored.
    if (journal_fd_ >= 0 && ::ftruncate(journal_fd_, 0) == 0) journal_size_ = 0;
}

void CardFile::append(ByteView record) {
    if (journal_fd_ < 0) {
        journal_fd_ = ::open(journal_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (journal_fd_ < 0) io_fail("create", journal_);
        journal_created_ = true;
        journal_size_ = 0;
    }
    try {
        std::size_t at = journal_end_;
        if (journal_end_ == 0) {
            // A new header for the current base, then the record: one write, one flush. A tear
            // leaves a short or unbound journal (ignored: the base holds every earlier command)
            // or a torn record (cut off). The journal holds secrets as the card file does: 0600
            // whatever the umask or whoever made the file.
            if (::fchmod(journal_fd_, 0600) != 0) io_fail("chmod", journal_);
            if (::ftruncate(journal_fd_, 0) != 0) io_fail("truncate", journal_);
            journal_size_ = 0;
            const Bytes header = journal_header(base_digest_);
            SecureBytes both(header.begin(), header.end());
            docketcard::append(both, record);   // qualified: CardFile::append hides it
            pwrite_all(journal_fd_, view(both), 0, journal_);
            at = both.size();
        } else {
            if (journal_size_ > journal_end_ && ::ftruncate(journal_fd_, static_cast<off_t>(journal_end_)) != 0)
                io_fail("truncate", journal_);
            journal_size_ = journal_end_;
            pwrite_all(journal_fd_, record, journal_end_, journal_);
            at = journal_end_ + record.size();
        }
        journal_size_ = at;
        if (::fdatasync(journal_fd_) != 0) io_fail("fdatasync", journal_);
        if (journal_created_) {
            fsync_directory(journal_);
            journal_created_ = false;
        }
        journal_end_ = at;
    } catch (...) {
        // The record may or may not be on disk: cut it off if we can, and let the next commit
        // write a whole new base, which holds everything whatever the journal says.
        if (::ftruncate(journal_fd_, static_cast<off_t>(journal_end_)) == 0) journal_size_ = journal_end_;
        must_compact_ = true;
        throw;
    }
}

void CardFile::write_base(ByteView image) const {
    std::filesystem::path tmp = file_;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) io_fail("create", tmp);
    try {
        if (::fchmod(fd, 0600) != 0) io_fail("chmod", tmp);
        pwrite_all(fd, image, 0, tmp);   // a new, empty file
        if (::fsync(fd) != 0) io_fail("fsync", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) io_fail("close", tmp);
    if (::rename(tmp.c_str(), file_.c_str()) != 0) io_fail("rename onto", file_);
    fsync_directory(file_);
}

}  // namespace docketcard::applet::detail
