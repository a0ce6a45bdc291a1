// Shared helpers for the journal tests: a temporary folder and raw SQLite access to check what
// the journal stored, below its interface.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

#include "docketcard/journal/journal.hpp"

namespace journal_test {

/// A fresh folder under the system temp directory, removed on destruction.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "dkj-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// A raw read-write connection to a journal file (for schema checks and bypass attempts).
class RawDb {
public:
    explicit RawDb(const std::filesystem::path& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            throw std::runtime_error("cannot open " + path.string());
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;
    ~RawDb() { sqlite3_close_v2(db_); }

    /// First column of the first row as text ("" when no row or NULL).
    std::string text(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sqlite3_errmsg(db_));
        }
        std::string out;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        return out;
    }
    long long integer(const std::string& sql) { return std::stoll(text(sql)); }

    /// Runs SQL; returns "" on success, else SQLite's error message.
    std::string exec(const std::string& sql) {
        char* err = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
        std::string message = rc == SQLITE_OK ? "" : (err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return message;
    }

private:
    sqlite3* db_ = nullptr;
};

/// A pending record entry whose digest is the SHA-256 of `content`.
inline docketcard::journal::RecordEntry entry(const std::string& document_number, const std::string& source,
                                              const std::string& content = "") {
    const std::string c = content.empty() ? "record " + document_number : content;
    return {document_number, source,
            docketcard::journal::record_digest(docketcard::ByteView(
                reinterpret_cast<const std::uint8_t*>(c.data()), c.size())),
            {}, {}};
}

}  // namespace journal_test
