#include "sqlite_db.hpp"

#include <fmt/core.h>

namespace docketcard::journal::sqlite {

Query::~Query() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

void Query::check_bind(int rc) {
    if (rc != SQLITE_OK) db_->fail(op_, rc);
}

Query& Query::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

Query& Query::bind(int index, std::string_view value) {
    check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Query& Query::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

bool Query::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_->fail(op_, rc);
}

void Query::run() {
    while (step()) {
    }
}

std::int64_t Query::integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Query::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Query::optional_text(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return text(column);
}

std::optional<std::int64_t> Query::optional_integer(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return integer(column);
}

Db::Db(const std::filesystem::path& path, int flags) : path_(path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw Error(ErrorKind::Journal, fmt::format("journal {}: cannot open the database: {}", path.string(), message));
    }
    sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
}

void Db::fail(std::string_view op) const {
    throw Error(ErrorKind::Journal,
                fmt::format("journal {}: {} failed: {}", path_.string(), op, sqlite3_errmsg(db_)));
}

void Db::fail(std::string_view op, int rc) const {
    // The connection's message matches rc unless another call intervened; prefer it when it does.
    const int current = sqlite3_extended_errcode(db_);
    const char* message = current == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    throw Error(ErrorKind::Journal, fmt::format("journal {}: {} failed: {}", path_.string(), op, message));
}

void Db::exec(const char* sql, std::string_view op) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(ErrorKind::Journal, fmt::format("journal {}: {} failed: {}", path_.string(), op, text));
    }
}

Query Db::query(const char* sql, std::string_view op) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK) fail(op, rc);
        it = cache_.emplace(sql, stmt).first;
    }
    return Query(*this, it->second, op);
}

std::int64_t Db::scalar(const char* sql, std::string_view op) {
    auto q = query(sql, op);
    if (!q.step()) return 0;
    return q.integer(0);
}

Tx::Tx(Db& db, bool immediate) : db_(db) {
    db_.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN", "begin transaction");
}

Tx::~Tx() {
    if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Tx::commit() {
    db_.exec("COMMIT", "commit");
    open_ = false;
}

}  // namespace docketcard::journal::sqlite
