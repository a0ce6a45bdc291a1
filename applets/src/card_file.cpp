#include "card_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace {

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& p) {
    throw Error(ErrorKind::Internal, fmt::format("card file: {} {} failed: {}", what, p.string(), std::strerror(errno)));
}

void write_all(int fd, ByteView data, const std::filesystem::path& p) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            io_fail("write", p);
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

CardFile::CardFile(std::filesystem::path file) : file_(std::move(file)) {
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
    if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

std::optional<SecureBytes> CardFile::read() const {
    const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw Error(ErrorKind::InvalidInput, fmt::format("cannot open card file {}: {}", file_.string(), std::strerror(errno)));
    }
    SecureBytes image;
    std::uint8_t buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot read card file {}: {}", file_.string(), std::strerror(err)));
        }
        if (n == 0) break;
        image.insert(image.end(), buf, buf + n);
        if (image.size() > 4 * 1024 * 1024) {
            ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("card file {} is too large to be a card file", file_.string()));
        }
    }
    secure_wipe(buf, sizeof buf);
    ::close(fd);
    return image;
}

void CardFile::write(ByteView image) const {
    std::filesystem::path tmp = file_;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) io_fail("create", tmp);
    try {
        if (::fchmod(fd, 0600) != 0) io_fail("chmod", tmp);
        write_all(fd, image, tmp);
        if (::fsync(fd) != 0) io_fail("fsync", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) io_fail("close", tmp);
    if (::rename(tmp.c_str(), file_.c_str()) != 0) io_fail("rename onto", file_);
    std::filesystem::path dir = file_.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) io_fail("open directory", dir);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) io_fail("fsync directory", dir);
}

}  // namespace docketcard::applet::detail
