#include "pg_conn.hpp"

#include <charconv>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::journal::pg {

std::int64_t Result::integer(int row, int col) const {
    const char* v = PQgetvalue(r_, row, col);
    const std::string_view s(v);
    std::int64_t out = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || p != s.data() + s.size())
        throw Error(ErrorKind::Journal, fmt::format("the journal server returned '{}' where a number was expected", s));
    return out;
}

std::int64_t Result::affected() const {
    const std::string_view s(PQcmdTuples(r_));
    std::int64_t out = 0;
    std::from_chars(s.data(), s.data() + s.size(), out);
    return out;
}

Conn::Conn(const std::string& uri, std::string name) : name_(std::move(name)) {
    c_ = PQconnectdb(uri.c_str());
    if (!c_) throw Error(ErrorKind::Journal, fmt::format("journal {}: out of memory while connecting", name_));
    if (PQstatus(c_) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(c_);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        PQfinish(c_);
        c_ = nullptr;
        throw Error(ErrorKind::Journal,
                    fmt::format("cannot connect to the journal {}: {}; check the URI, that the server runs, and "
                                "~/.pgpass (or PGPASSFILE) for the password",
                                name_, msg));
    }
    // Times in UTC whatever the server's default (lc_messages is not set: only a superuser may,
    // and stations connect as an ordinary role).
    exec_script("SET TIME ZONE 'UTC'", "set the session");
}

Conn::~Conn() {
    if (c_) PQfinish(c_);
}

void Conn::fail(std::string_view op, const PGresult* r) {
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (PQstatus(c_) != CONNECTION_OK) {
        throw Error(ErrorKind::Journal,
                    fmt::format("journal {}: the connection to the server was lost ({}: {}); nothing after the last "
                                "committed step was recorded: run the same command again to resume",
                                name_, op, msg));
    }
    throw Error(ErrorKind::Journal, fmt::format("journal {}: {}: {}", name_, op, msg));
}

Result Conn::exec(std::string_view sql, const std::vector<Param>& params, std::string_view op) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const std::string text(sql);
    PGresult* r = PQexecParams(c_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        Result guard(r);
        fail(op, r);
    }
    return Result(r);
}

void Conn::exec_script(const char* sql, std::string_view op) {
    PGresult* r = PQexec(c_, sql);
    Result guard(r);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(op, r);
}

Tx::~Tx() {
    if (!done_ && c_.ok()) {
        try {
            c_.exec_script("ROLLBACK", "roll back");
        } catch (...) {
            // The connection went away: the server rolls the transaction back itself.
        }
    }
}

}  // namespace docketcard::journal::pg
