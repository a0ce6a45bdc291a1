#include "docketcard/journal/sqlite_journal.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include "sqlite_db.hpp"
#include "sqlite_schema.hpp"
#include "stored.hpp"

namespace docketcard::journal {

namespace {

using detail::split_lines;
using detail::stored_state;

using sqlite::Db;
using sqlite::Query;
using sqlite::Tx;

std::string now_utc() {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm t{};
    gmtime_r(&seconds, &t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                       t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
}

/// The exclusive batch lock: flock(2) on PATH.lock, released by the kernel when the holder dies.
class LockFile {
public:
    explicit LockFile(std::filesystem::path path) : path_(std::move(path)) {
        fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            throw Error(ErrorKind::Journal,
                        fmt::format("cannot open the journal lock file {}: {}", path_.string(), std::strerror(errno)));
        }
    }
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    /// True when the lock was taken; false when another open file description holds it.
    bool try_lock() {
        while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EINTR) continue;
            if (errno == EWOULDBLOCK) return false;
            throw Error(ErrorKind::Journal,
                        fmt::format("cannot lock the journal lock file {}: {}", path_.string(), std::strerror(errno)));
        }
        return true;
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

Attempt read_attempt(const Query& q, int first = 0) {
    Attempt a;
    a.id = q.integer(first + 0);
    a.record_id = q.integer(first + 1);
    a.document_number = q.text(first + 2);
    a.batch_id = q.integer(first + 3);
    a.station = q.text(first + 4);
    a.reader = q.text(first + 5);
    a.record_digest = q.text(first + 6);
    a.card_serial = q.optional_text(first + 7);
    a.state = stored_state(q.text(first + 8));
    a.error = q.optional_text(first + 9);
    a.superseded_by = q.optional_integer(first + 10);
    a.started_at = q.text(first + 11);
    a.updated_at = q.text(first + 12);
    a.finished_at = q.optional_text(first + 13);
    a.superseded_at = q.optional_text(first + 14);
    a.source = q.text(first + 15);
    a.background_check = q.text(first + 16);
    return a;
}

Batch read_batch(const Query& q) {
    Batch b;
    b.id = q.integer(0);
    b.station = q.text(1);
    b.input = q.text(2);
    b.pid = q.integer(3);
    b.started_at = q.text(4);
    b.ended_at = q.optional_text(5);
    b.outcome = q.optional_text(6);
    return b;
}

#define DKJ_ATTEMPT_SELECT                                                                                   \
    "SELECT a.id, a.record_id, r.document_number, a.batch_id, a.station, a.reader, a.record_digest, "       \
    "a.card_serial, a.state, a.error, a.superseded_by, a.started_at, a.updated_at, a.finished_at, "         \
    "a.superseded_at, a.source, a.background_check "                                                        \
    "FROM attempts a JOIN records r ON r.id = a.record_id "

#define DKJ_RECORD_SELECT                                                                                    \
    "SELECT r.id, r.document_number, r.source, r.digest, r.problems, r.state, r.registered_at, "            \
    "r.updated_at, (SELECT count(*) FROM attempts c WHERE c.record_id = r.id), "                            \
    "a.id, a.record_id, r.document_number, a.batch_id, a.station, a.reader, a.record_digest, "              \
    "a.card_serial, a.state, a.error, a.superseded_by, a.started_at, a.updated_at, a.finished_at, "         \
    "a.superseded_at, a.source, a.background_check "                                                        \
    "FROM records r LEFT JOIN attempts a ON a.record_id = r.id "                                            \
    "AND a.state IN ('writing', 'written', 'locked', 'verified') "

RecordStatus read_record(const Query& q) {
    RecordStatus r;
    r.id = q.integer(0);
    r.document_number = q.text(1);
    r.source = q.text(2);
    r.digest = q.text(3);
    r.problems = split_lines(q.text(4));
    r.state = stored_state(q.text(5));
    r.registered_at = q.text(6);
    r.updated_at = q.text(7);
    r.attempt_count = static_cast<int>(q.integer(8));
    if (q.optional_integer(9)) {
        r.live_attempt = read_attempt(q, 9);
        r.state = r.live_attempt->state;
    }
    return r;
}

std::string describe_serial(const std::optional<std::string>& serial) {
    return serial ? "card " + *serial : "card serial not yet read";
}

class SqliteJournal final : public Journal {
public:
    SqliteJournal(std::filesystem::path path, std::unique_ptr<LockFile> lock, int flags)
        : path_(std::move(path)), lock_(std::move(lock)), db_(path_, flags) {}

    void configure_for_batch() {
        db_.exec("PRAGMA busy_timeout = 5000", "set busy timeout");
        {
            auto q = db_.query("PRAGMA journal_mode = WAL", "set journal_mode=WAL");
            if (!q.step() || q.text(0) != "wal") {
                throw Error(ErrorKind::Journal,
                            fmt::format("journal {}: the database cannot use WAL mode", path_.string()));
            }
        }
        db_.exec("PRAGMA synchronous = FULL", "set synchronous=FULL");
        db_.exec("PRAGMA foreign_keys = ON", "enable foreign keys");
        migrate();
    }

    void configure_read_only() {
        db_.exec("PRAGMA busy_timeout = 5000", "set busy timeout");
        check_identity(false);
    }

    void start_batch(const BatchStart& start) {
        Tx tx(db_);
        const auto now = now_utc();
        db_.query("UPDATE batches SET ended_at = ?1, outcome = 'interrupted' WHERE ended_at IS NULL",
                  "close interrupted batches")
            .bind(1, now)
            .run();
        db_.query("INSERT INTO batches(station, input, pid, started_at) VALUES (?1, ?2, ?3, ?4)", "insert batch")
            .bind(1, start.station)
            .bind(2, start.input)
            .bind(3, static_cast<std::int64_t>(::getpid()))
            .bind(4, now)
            .run();
        const auto id = sqlite3_last_insert_rowid(db_.handle());
        tx.commit();
        batch_ = load_batch(id);
    }

    std::optional<Batch> current_batch() const override { return batch_; }

    void end_batch(BatchOutcome outcome) override {
        require_batch("end the batch");
        const char* name = outcome == BatchOutcome::Complete ? "complete"
                           : outcome == BatchOutcome::Incomplete ? "incomplete"
                                                                 : "failed";
        Tx tx(db_);
        db_.query("UPDATE batches SET ended_at = ?1, outcome = ?2 WHERE id = ?3", "end batch")
            .bind(1, now_utc())
            .bind(2, std::string_view(name))
            .bind(3, batch_->id)
            .run();
        tx.commit();
        batch_ = load_batch(batch_->id);
    }

    RecordRegistration register_record(const RecordEntry& e) override {
        require_batch("register a record");
        if (e.digest.size() != 64 || e.digest.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
            throw Error(ErrorKind::Internal,
                        fmt::format("record at {}: the record digest must be 64 upper-case hex digits", e.source));
        }
        if (e.document_number.empty() && e.problems.empty()) {
            throw Error(ErrorKind::Internal,
                        fmt::format("record at {}: a record without a document number must be rejected", e.source));
        }
        const std::string state = e.problems.empty() ? "pending" : "rejected";
        const std::string problems = fmt::format("{}", fmt::join(e.problems, "\n"));
        const auto now = now_utc();

        Tx tx(db_);
        std::optional<std::int64_t> id;
        std::string old_digest, old_problems, old_source, old_state;
        {
            auto q = e.document_number.empty()
                         ? db_.query("SELECT id, digest, problems, source, state FROM records "
                                     "WHERE document_number IS NULL AND source = ?1",
                                     "find record")
                         : db_.query("SELECT id, digest, problems, source, state FROM records "
                                     "WHERE document_number = ?1",
                                     "find record");
            q.bind(1, e.document_number.empty() ? std::string_view(e.source) : std::string_view(e.document_number));
            if (q.step()) {
                id = q.integer(0);
                old_digest = q.text(1);
                old_problems = q.text(2);
                old_source = q.text(3);
                old_state = q.text(4);
            }
        }
        RecordRegistration reg;
        if (!id) {
            auto q = db_.query("INSERT INTO records(document_number, source, digest, state, problems, batch_id, "
                               "registered_at, updated_at, background_check) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                               "insert record");
            if (e.document_number.empty()) {
                q.bind_null(1);
            } else {
                q.bind(1, e.document_number);
            }
            q.bind(2, e.source).bind(3, e.digest).bind(4, state).bind(5, problems).bind(6, batch_->id).bind(7, now);
            q.bind(8, e.background_check);
            q.run();
            reg.record_id = sqlite3_last_insert_rowid(db_.handle());
            reg.outcome = RecordRegistration::Outcome::Added;
        } else {
            reg.record_id = *id;
            const bool content_same = old_digest == e.digest && old_problems == problems && old_state == state;
            if (!content_same || old_source != e.source) {
                db_.query("UPDATE records SET source = ?1, digest = ?2, state = ?3, problems = ?4, updated_at = ?5, "
                          "background_check = ?7 WHERE id = ?6",
                          "update record")
                    .bind(1, e.source)
                    .bind(2, e.digest)
                    .bind(3, state)
                    .bind(4, problems)
                    .bind(5, now)
                    .bind(6, *id)
                    .bind(7, e.background_check)
                    .run();
            }
            reg.outcome = content_same ? RecordRegistration::Outcome::Unchanged : RecordRegistration::Outcome::Changed;
            if (!content_same) reg.previous_digest = old_digest;
        }
        tx.commit();
        return reg;
    }

    std::optional<std::string> claim_refusal(std::string_view document_number, bool reissue) override {
        Tx tx(db_, false);
        auto r = refusal(document_number, reissue);
        tx.commit();
        return r;
    }

    Attempt claim_record(std::string_view document_number, std::string_view reader, bool reissue) override {
        require_batch("claim a record");
        Tx tx(db_);
        if (auto why = refusal(document_number, reissue)) throw Error(ErrorKind::Journal, *why);
        auto status = *load_record(document_number);
        const auto now = now_utc();
        std::optional<AttemptId> old;
        if (status.live_attempt && status.live_attempt->state == State::Verified) {
            old = status.live_attempt->id;
            db_.query("UPDATE attempts SET state = 'superseded', updated_at = ?1, superseded_at = ?1 WHERE id = ?2",
                      "supersede attempt")
                .bind(1, now)
                .bind(2, *old)
                .run();
        }
        db_.query("INSERT INTO attempts(record_id, batch_id, station, reader, record_digest, state, started_at, "
                  "updated_at, source, background_check) VALUES (?1, ?2, ?3, ?4, ?5, 'writing', ?6, ?6, ?7, "
                  "(SELECT background_check FROM records WHERE id = ?1))",
                  "insert attempt")
            .bind(1, status.id)
            .bind(2, batch_->id)
            .bind(3, batch_->station)
            .bind(4, reader)
            .bind(5, status.digest)
            .bind(6, now)
            .bind(7, status.source)
            .run();
        const AttemptId id = sqlite3_last_insert_rowid(db_.handle());
        add_event(id, "writing", now, fmt::format("claimed on reader {}", reader));
        if (old) {
            const auto detail = fmt::format("superseded by attempt {} (--reissue)", id);
            db_.query("UPDATE attempts SET superseded_by = ?1, error = ?2 WHERE id = ?3", "link superseding attempt")
                .bind(1, id)
                .bind(2, detail)
                .bind(3, *old)
                .run();
            add_event(*old, "superseded", now, detail);
        }
        tx.commit();
        return *attempt(id);
    }

    Attempt set_card_serial(AttemptId id, ByteView serial) override {
        require_batch("record a card serial");
        if (serial.empty() || serial.size() > 32) {
            throw Error(ErrorKind::Internal,
                        fmt::format("attempt {}: a card serial has 1 to 32 bytes, not {}", id, serial.size()));
        }
        const auto hex = to_hex(serial);
        Tx tx(db_);
        auto a = require_attempt(id);
        if (a.card_serial) {
            if (*a.card_serial == hex) return a;
            throw Error(ErrorKind::Journal, fmt::format("attempt {} ({}) already has card serial {}; refusing {}", id,
                                                        a.document_number, *a.card_serial, hex));
        }
        if (a.state != State::Writing) {
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; its card serial can only be recorded while writing", id,
                                    a.document_number, to_string(a.state)));
        }
        {
            auto q = db_.query(DKJ_ATTEMPT_SELECT "WHERE a.card_serial = ?1 AND a.id <> ?2 ORDER BY a.id LIMIT 1",
                               "find card serial");
            q.bind(1, hex).bind(2, id);
            if (q.step()) {
                const auto other = read_attempt(q);
                throw Error(ErrorKind::Journal,
                            fmt::format("card {} was already used by attempt {} ({}, {}); a card is never reused "
                                        "for another attempt",
                                        hex, other.id, other.document_number, to_string(other.state)));
            }
        }
        const auto now = now_utc();
        db_.query("UPDATE attempts SET card_serial = ?1, updated_at = ?2 WHERE id = ?3", "record card serial")
            .bind(1, hex)
            .bind(2, now)
            .bind(3, id)
            .run();
        add_event(id, "writing", now, "card serial " + hex);
        tx.commit();
        return *attempt(id);
    }

    Attempt note_error(AttemptId id, std::string_view error) override {
        require_batch("note an error");
        Tx tx(db_);
        auto a = require_attempt(id);
        if (!is_in_progress(a.state)) {
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; errors can only be noted on an attempt in progress", id,
                                    a.document_number, to_string(a.state)));
        }
        const auto now = now_utc();
        db_.query("UPDATE attempts SET error = ?1, updated_at = ?2 WHERE id = ?3", "note error")
            .bind(1, error)
            .bind(2, now)
            .bind(3, id)
            .run();
        add_event(id, to_string(a.state), now, std::string(error));
        tx.commit();
        return *attempt(id);
    }

    std::optional<RecordStatus> record(std::string_view document_number) override {
        Tx tx(db_, false);
        auto r = load_record(document_number);
        tx.commit();
        return r;
    }

    std::vector<RecordStatus> records() override {
        std::vector<RecordStatus> out;
        Tx tx(db_, false);
        auto q = db_.query(DKJ_RECORD_SELECT "ORDER BY r.id", "list records");
        while (q.step()) out.push_back(read_record(q));
        return out;
    }

    std::optional<Attempt> attempt(AttemptId id) override {
        auto q = db_.query(DKJ_ATTEMPT_SELECT "WHERE a.id = ?1", "read attempt");
        q.bind(1, id);
        if (!q.step()) return std::nullopt;
        return read_attempt(q);
    }

    std::vector<Attempt> in_progress_attempts() override {
        return list_attempts(db_.query(DKJ_ATTEMPT_SELECT "WHERE a.state IN ('writing', 'written', 'locked') "
                                                          "ORDER BY a.id",
                                       "list attempts in progress"));
    }

    std::vector<Attempt> attempts_by_serial(ByteView serial) override {
        auto q = db_.query(DKJ_ATTEMPT_SELECT "WHERE a.card_serial = ?1 ORDER BY a.id", "find attempts by serial");
        q.bind(1, to_hex(serial));
        return list_attempts(std::move(q));
    }

    std::vector<Attempt> attempts() override {
        return list_attempts(db_.query(DKJ_ATTEMPT_SELECT "ORDER BY a.id", "list attempts"));
    }

    std::vector<Batch> batches() override {
        std::vector<Batch> out;
        auto q = db_.query("SELECT id, station, input, pid, started_at, ended_at, outcome FROM batches ORDER BY id",
                           "list batches");
        while (q.step()) out.push_back(read_batch(q));
        return out;
    }

    Summary summary() override {
        Summary s;
        for (State st : all_states()) s.by_state[st] = 0;
        Tx tx(db_, false);
        {
            auto q = db_.query("SELECT coalesce(a.state, r.state), count(*) FROM records r LEFT JOIN attempts a "
                               "ON a.record_id = r.id AND a.state IN ('writing', 'written', 'locked', 'verified') "
                               "GROUP BY 1",
                               "count records");
            while (q.step()) {
                s.by_state[stored_state(q.text(0))] += q.integer(1);
                s.records += q.integer(1);
            }
        }
        {
            auto q = db_.query("SELECT state, count(*) FROM attempts GROUP BY state", "count attempts");
            while (q.step()) {
                const auto st = stored_state(q.text(0));
                if (st == State::Spoiled || st == State::Superseded) s.by_state[st] += q.integer(1);
                s.attempts += q.integer(1);
            }
        }
        tx.commit();
        return s;
    }

    /// The open batch recorded in a database the lock says is busy (for the refusal message).
    static std::optional<Batch> open_batch_of(const std::filesystem::path& path) {
        try {
            Db db(path, SQLITE_OPEN_READONLY);
            db.exec("PRAGMA busy_timeout = 2000", "set busy timeout");
            auto q = db.query("SELECT id, station, input, pid, started_at, ended_at, outcome FROM batches "
                              "WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1",
                              "read open batch");
            if (q.step()) return read_batch(q);
        } catch (const Error&) {
            // The holder may still be creating the schema; the caller reports the lock alone.
        }
        return std::nullopt;
    }

private:
    void require_batch(std::string_view what) const {
        if (!batch_) {
            throw Error(ErrorKind::Journal,
                        fmt::format("journal {} is open read-only: cannot {}", path_.string(), what));
        }
    }

    void check_identity(bool writable) {
        const auto app_id = db_.scalar("PRAGMA application_id", "read application_id");
        const auto version = db_.scalar("PRAGMA user_version", "read user_version");
        const auto objects = db_.scalar("SELECT count(*) FROM sqlite_schema", "read schema");
        const bool empty = app_id == 0 && version == 0 && objects == 0;
        if (empty && writable) return;
        if (app_id != sqlite_application_id || version == 0) {
            throw Error(ErrorKind::Journal,
                        fmt::format("{} is not a docketcard journal (an SQLite database of another application)",
                                    path_.string()));
        }
        if (version > sqlite_schema_version) {
            throw Error(ErrorKind::Journal,
                        fmt::format("journal {} has schema version {}, newer than this docketcard supports ({}); "
                                    "use a newer docketcard",
                                    path_.string(), version, sqlite_schema_version));
        }
        if (!writable && version < sqlite_schema_version) {
            throw Error(ErrorKind::Journal,
                        fmt::format("journal {} has schema version {}; run a batch on it to upgrade it to {}",
                                    path_.string(), version, sqlite_schema_version));
        }
    }

    void migrate() {
        Tx tx(db_);
        check_identity(true);
        auto version = db_.scalar("PRAGMA user_version", "read user_version");
        for (auto v = version; v < sqlite_schema_version; ++v) {
            db_.exec(sqlite::migrations[static_cast<std::size_t>(v)],
                     fmt::format("schema migration {} -> {}", v, v + 1));
        }
        if (version < sqlite_schema_version) {
            db_.exec(fmt::format("PRAGMA application_id = {}", sqlite_application_id).c_str(), "set application_id");
            db_.exec(fmt::format("PRAGMA user_version = {}", sqlite_schema_version).c_str(), "set user_version");
        }
        tx.commit();
    }

    Batch load_batch(BatchId id) {
        auto q = db_.query("SELECT id, station, input, pid, started_at, ended_at, outcome FROM batches WHERE id = ?1",
                           "read batch");
        q.bind(1, id);
        if (!q.step()) throw Error(ErrorKind::Journal, fmt::format("journal {}: batch {} vanished", path_.string(), id));
        return read_batch(q);
    }

    std::optional<RecordStatus> load_record(std::string_view document_number) {
        auto q = db_.query(DKJ_RECORD_SELECT "WHERE r.document_number = ?1", "read record");
        q.bind(1, document_number);
        if (!q.step()) return std::nullopt;
        return read_record(q);
    }

    std::optional<std::string> refusal(std::string_view document_number, bool reissue) {
        auto r = load_record(document_number);
        if (!r) return fmt::format("document number {} is not registered in the journal", document_number);
        if (r->live_attempt && is_in_progress(r->live_attempt->state)) {
            const auto& a = *r->live_attempt;
            return fmt::format("document number {} is in progress in attempt {} ({}, {}, reader {}); resume or "
                               "spoil that attempt first",
                               document_number, a.id, to_string(a.state), describe_serial(a.card_serial), a.reader);
        }
        if (r->live_attempt && r->live_attempt->state == State::Verified && !reissue) {
            const auto& a = *r->live_attempt;
            return fmt::format("document number {} was already verified on card {} (attempt {}, {}); use --reissue "
                               "to issue a replacement card",
                               document_number, a.card_serial.value_or("?"), a.id, a.finished_at.value_or("?"));
        }
        if (!r->problems.empty()) {
            return fmt::format("document number {} ({}) is rejected and cannot be personalized: {}", document_number,
                               r->source, fmt::join(r->problems, "; "));
        }
        return std::nullopt;
    }

    Attempt require_attempt(AttemptId id) {
        auto a = attempt(id);
        if (!a) throw Error(ErrorKind::Journal, fmt::format("journal {} has no attempt {}", path_.string(), id));
        return *a;
    }

    Attempt transition(AttemptId id, State target, std::initializer_list<State> from,
                       std::optional<std::string> error) override {
        require_batch(std::string("mark an attempt ") + to_string(target));
        Tx tx(db_);
        auto a = require_attempt(id);
        if (std::find(from.begin(), from.end(), a.state) == from.end()) {
            std::vector<std::string> names;
            for (State s : from) names.emplace_back(to_string(s));
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; it cannot become {} (allowed from: {})", id,
                                    a.document_number, to_string(a.state), to_string(target), fmt::join(names, ", ")));
        }
        if (target == State::Written && !a.card_serial) {
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) has no card serial; record it before marking the attempt written",
                                    id, a.document_number));
        }
        const auto now = now_utc();
        const bool finished = target == State::Verified || target == State::Spoiled;
        auto q = db_.query("UPDATE attempts SET state = ?1, updated_at = ?2, finished_at = ?3, "
                           "error = coalesce(?4, error) WHERE id = ?5 AND state = ?6",
                           "update attempt state");
        q.bind(1, std::string_view(to_string(target))).bind(2, now);
        if (finished) {
            q.bind(3, now);
        } else {
            q.bind_null(3);
        }
        q.bind(4, error).bind(5, id).bind(6, std::string_view(to_string(a.state)));
        q.run();
        if (sqlite3_changes(db_.handle()) != 1) {
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) changed under this batch; it was not marked {}", id,
                                    a.document_number, to_string(target)));
        }
        add_event(id, to_string(target), now, error.value_or(""));
        tx.commit();
        return *attempt(id);
    }

    void add_event(AttemptId id, std::string_view state, const std::string& at, const std::string& detail) {
        db_.query("INSERT INTO events(attempt_id, state, at, detail) VALUES (?1, ?2, ?3, ?4)", "insert event")
            .bind(1, id)
            .bind(2, state)
            .bind(3, at)
            .bind(4, detail)
            .run();
    }

    static std::vector<Attempt> list_attempts(Query&& q) {
        std::vector<Attempt> out;
        while (q.step()) out.push_back(read_attempt(q));
        return out;
    }

    std::filesystem::path path_;
    std::unique_ptr<LockFile> lock_;  // destroyed after db_: the lock outlives the connection
    Db db_;
    std::optional<Batch> batch_;
};

}  // namespace

std::filesystem::path lock_path_for(const std::filesystem::path& journal_path) {
    auto p = journal_path;
    p += ".lock";
    return p;
}

std::unique_ptr<Journal> open_sqlite_journal(const std::filesystem::path& path, const BatchStart& start) {
    auto lock = std::make_unique<LockFile>(lock_path_for(path));
    if (!lock->try_lock()) {
        if (auto b = SqliteJournal::open_batch_of(path)) {
            throw Error(ErrorKind::Journal,
                        fmt::format("journal {} is in use by batch {} (pid {}, started {} on station {}); a second "
                                    "batch on the same journal is refused: wait for it to end, or stop it and run "
                                    "again to resume",
                                    path.string(), b->id, b->pid, b->started_at, b->station));
        }
        throw Error(ErrorKind::Journal,
                    fmt::format("journal {} is in use by another batch (its lock {} is held); a second batch on the "
                                "same journal is refused",
                                path.string(), lock_path_for(path).string()));
    }
    auto j = std::make_unique<SqliteJournal>(path, std::move(lock),
                                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    j->configure_for_batch();
    j->start_batch(start);
    return j;
}

std::unique_ptr<Journal> open_sqlite_journal_read_only(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw Error(ErrorKind::InvalidInput, fmt::format("journal {} does not exist (or is not a file)", path.string()));
    }
    auto j = std::make_unique<SqliteJournal>(path, nullptr, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    j->configure_read_only();
    return j;
}

}  // namespace docketcard::journal
