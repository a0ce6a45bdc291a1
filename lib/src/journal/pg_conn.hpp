// RAII over libpq, private to the journal area: one connection (Conn), results (Result) and a
// transaction guard (Tx) that rolls back unless committed. Every libpq failure becomes
// Error(ErrorKind::Journal) naming the journal, the operation and the server's message; a lost
// connection says so, because the station then stops with exit 8 and a rerun resumes.
//
// Parameters are sent as text with PQexecParams (never spliced into SQL); values come back as
// text. NULL is std::nullopt on both sides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

namespace docketcard::journal::pg {

/// One query parameter: text or SQL NULL.
using Param = std::optional<std::string>;

/// A finished query's rows (PGresult), freed on destruction.
class Result {
public:
    explicit Result(PGresult* r) : r_(r) {}
    Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;
    ~Result() {
        if (r_) PQclear(r_);
    }
    int rows() const { return PQntuples(r_); }
    bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
    std::optional<std::string> optional_text(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return text(row, col);
    }
    std::int64_t integer(int row, int col) const;
    std::optional<std::int64_t> optional_integer(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return integer(row, col);
    }
    bool boolean(int row, int col) const { return text(row, col) == "t"; }
    /// Rows changed by an INSERT/UPDATE/DELETE.
    std::int64_t affected() const;

private:
    PGresult* r_;
};

/// One libpq connection.
class Conn {
public:
    /// Connects (PQconnectdb) to `uri`; `name` is how messages name the journal (no secret in it).
    Conn(const std::string& uri, std::string name);
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    ~Conn();

    /// Runs one statement with text parameters; throws Error(Journal) on failure.
    Result exec(std::string_view sql, const std::vector<Param>& params, std::string_view op);
    /// Runs SQL without parameters (may hold several statements, e.g. a migration).
    void exec_script(const char* sql, std::string_view op);
    /// How messages name the journal.
    const std::string& name() const { return name_; }
    bool ok() const { return PQstatus(c_) == CONNECTION_OK; }

private:
    [[noreturn]] void fail(std::string_view op, const PGresult* r);
    PGconn* c_ = nullptr;
    std::string name_;
};

/// BEGIN on construction, ROLLBACK on destruction unless commit() ran.
class Tx {
public:
    explicit Tx(Conn& c) : c_(c) { c_.exec_script("BEGIN", "begin a transaction"); }
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    ~Tx();
    void commit() {
        c_.exec_script("COMMIT", "commit");
        done_ = true;
    }

private:
    Conn& c_;
    bool done_ = false;
};

}  // namespace docketcard::journal::pg
