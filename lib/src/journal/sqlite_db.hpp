// RAII over the SQLite C API, private to the journal area: one connection (Db), cached prepared
// statements, a Query guard that resets its statement when done (an unreset SELECT would keep a
// read transaction open), and a Tx guard that rolls back unless committed. Every SQLite failure
// becomes Error(ErrorKind::Journal) naming the journal, the operation and SQLite's message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "docketcard/util/error.hpp"

namespace docketcard::journal::sqlite {

class Db;

/// A bound, running statement; resets and clears its bindings on destruction.
class Query {
public:
    Query(Db& db, sqlite3_stmt* stmt, std::string_view op) : db_(&db), stmt_(stmt), op_(op) {}
    Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_), op_(other.op_) { other.stmt_ = nullptr; }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;
    ~Query();

    Query& bind(int index, std::int64_t value);
    Query& bind(int index, std::string_view value);
    Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, const std::optional<std::string>& value);
    Query& bind_null(int index);

    /// Steps once: true when a row is available, false when done.
    bool step();
    /// Steps until done (for statements that return no rows).
    void run();

    std::int64_t integer(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;
    std::optional<std::int64_t> optional_integer(int column) const;

private:
    void check_bind(int rc);
    Db* db_;
    sqlite3_stmt* stmt_;
    std::string_view op_;
};

/// One SQLite connection.
class Db {
public:
    /// Opens `path` with sqlite3_open_v2 `flags`; `label` names the journal in messages.
    Db(const std::filesystem::path& path, int flags);
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    /// Runs SQL without results (may contain several statements).
    void exec(const char* sql, std::string_view op);
    /// A cached prepared statement for `sql`, ready to bind; `op` names it in errors.
    Query query(const char* sql, std::string_view op);
    /// A single integer result (PRAGMA user_version, counts).
    std::int64_t scalar(const char* sql, std::string_view op);

    /// Throws Error(Journal): "journal PATH: OP failed: MESSAGE".
    [[noreturn]] void fail(std::string_view op) const;
    [[noreturn]] void fail(std::string_view op, int rc) const;

    const std::filesystem::path& path() const noexcept { return path_; }
    sqlite3* handle() noexcept { return db_; }

private:
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
    std::map<const char*, sqlite3_stmt*> cache_;
};

/// A write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so two writers never
/// deadlock upgrading a read lock); rolls back unless commit() was called.
class Tx {
public:
    explicit Tx(Db& db, bool immediate = true);
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    ~Tx();
    void commit();

private:
    Db& db_;
    bool open_ = true;
};

}  // namespace docketcard::journal::sqlite
