#include "docketcard/journal/pg_journal.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include "docketcard/util/error.hpp"
#include "pg_conn.hpp"
#include "pg_schema.hpp"
#include "stored.hpp"

namespace docketcard::journal {

namespace {

using detail::split_lines;
using detail::stored_state;

using pg::Conn;
using pg::Param;
using pg::Result;
using pg::Tx;

constexpr const char* attempt_select =
    "SELECT a.id, a.record_id, r.document_number, a.batch_id, a.station, a.reader, a.record_digest, "
    "a.card_serial, a.state, a.error, a.superseded_by, dk_ts(a.started_at), dk_ts(a.updated_at), "
    "dk_ts(a.finished_at), dk_ts(a.superseded_at), a.source, a.background_check, a.holder_batch, a.taken_over_by "
    "FROM attempts a JOIN records r ON r.id = a.record_id ";

constexpr const char* record_select =
    "SELECT r.id, r.document_number, r.source, r.digest, r.problems, r.state, dk_ts(r.registered_at), "
    "dk_ts(r.updated_at), (SELECT count(*) FROM attempts c WHERE c.record_id = r.id), "
    "a.id, a.record_id, r.document_number, a.batch_id, a.station, a.reader, a.record_digest, "
    "a.card_serial, a.state, a.error, a.superseded_by, dk_ts(a.started_at), dk_ts(a.updated_at), "
    "dk_ts(a.finished_at), dk_ts(a.superseded_at), a.source, a.background_check, a.holder_batch, a.taken_over_by "
    "FROM records r LEFT JOIN attempts a ON a.record_id = r.id "
    "AND a.state IN ('writing', 'written', 'locked', 'verified') ";

constexpr const char* batch_select =
    "SELECT id, station, input, pid, dk_ts(started_at), dk_ts(ended_at), outcome, host, dk_ts(lease_expires) "
    "FROM batches ";

/// An attempt row with the two lease columns the interface does not carry.
struct Row {
    Attempt a;
    BatchId holder = 0;
    std::optional<AttemptId> taken_over_by;
};

Row read_attempt(const Result& q, int row, int f = 0) {
    Row out;
    Attempt& a = out.a;
    a.id = q.integer(row, f + 0);
    a.record_id = q.integer(row, f + 1);
    a.document_number = q.text(row, f + 2);
    a.batch_id = q.integer(row, f + 3);
    a.station = q.text(row, f + 4);
    a.reader = q.text(row, f + 5);
    a.record_digest = q.text(row, f + 6);
    a.card_serial = q.optional_text(row, f + 7);
    a.state = stored_state(q.text(row, f + 8));
    a.error = q.optional_text(row, f + 9);
    a.superseded_by = q.optional_integer(row, f + 10);
    a.started_at = q.text(row, f + 11);
    a.updated_at = q.text(row, f + 12);
    a.finished_at = q.optional_text(row, f + 13);
    a.superseded_at = q.optional_text(row, f + 14);
    a.source = q.text(row, f + 15);
    a.background_check = q.text(row, f + 16);
    out.holder = q.integer(row, f + 17);
    out.taken_over_by = q.optional_integer(row, f + 18);
    return out;
}

RecordStatus read_record(const Result& q, int row) {
    RecordStatus r;
    r.id = q.integer(row, 0);
    r.document_number = q.optional_text(row, 1).value_or("");
    r.source = q.text(row, 2);
    r.digest = q.text(row, 3);
    r.problems = split_lines(q.text(row, 4));
    r.state = stored_state(q.text(row, 5));
    r.registered_at = q.text(row, 6);
    r.updated_at = q.text(row, 7);
    r.attempt_count = static_cast<int>(q.integer(row, 8));
    if (!q.null(row, 9)) {
        r.live_attempt = read_attempt(q, row, 9).a;
        r.state = r.live_attempt->state;
    }
    return r;
}

Batch read_batch(const Result& q, int row) {
    Batch b;
    b.id = q.integer(row, 0);
    b.station = q.text(row, 1);
    b.input = q.text(row, 2);
    b.pid = q.integer(row, 3);
    b.started_at = q.text(row, 4);
    b.ended_at = q.optional_text(row, 5);
    b.outcome = q.optional_text(row, 6);
    b.host = q.optional_text(row, 7);
    b.lease_expires = q.optional_text(row, 8);
    return b;
}

std::string num(std::int64_t v) { return std::to_string(v); }

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

bool process_gone(std::int64_t pid) {
    if (pid <= 0) return true;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string describe_serial(const std::optional<std::string>& serial) {
    return serial ? "card " + *serial : "card serial not yet read";
}

/// The schema version of the database, 0 when it has no docketcard schema.
int schema_version(Conn& c) {
    auto r = c.exec("SELECT to_regclass('docketcard_schema') IS NOT NULL", {}, "read the schema");
    if (!r.boolean(0, 0)) {
        auto any = c.exec("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN "
                          "('batches', 'records', 'attempts', 'events')",
                          {}, "read the schema");
        if (any.integer(0, 0) > 0)
            throw Error(ErrorKind::Journal,
                        fmt::format("journal {} holds tables named like a docketcard journal's but no docketcard "
                                    "schema marker; it is not a docketcard journal: use another database",
                                    c.name()));
        return 0;
    }
    auto v = c.exec("SELECT version FROM docketcard_schema", {}, "read the schema version");
    if (v.rows() != 1)
        throw Error(ErrorKind::Journal, fmt::format("journal {}: the schema marker is damaged", c.name()));
    return static_cast<int>(v.integer(0, 0));
}

/// A station refuses any schema but its own (docs/journal.md).
void require_known_schema(Conn& c) {
    const int v = schema_version(c);
    if (v == pg_schema_version) return;
    if (v == 0)
        throw Error(ErrorKind::Journal,
                    fmt::format("journal {} has no docketcard schema; create it once with `docketcard journal "
                                "--journal URI --init`",
                                c.name()));
    if (v > pg_schema_version)
        throw Error(ErrorKind::Journal,
                    fmt::format("journal {} has schema version {}, newer than this docketcard knows ({}); use a newer "
                                "docketcard on this station",
                                c.name(), v, pg_schema_version));
    throw Error(ErrorKind::Journal,
                fmt::format("journal {} has schema version {}; this docketcard needs {}: migrate it with `docketcard "
                            "journal --journal URI --init` (when no station runs)",
                            c.name(), v, pg_schema_version));
}

/// The name messages use for a URI: the URI as given (check_journal_uri refused any password).
std::string display_name(const std::string& uri) { return uri; }

/// The station's heartbeat: renews the lease on its own connection every lease/3 seconds, and
/// never renews one that expired (an expired lease may already have been taken over).
class Heartbeat {
public:
    Heartbeat(const std::string& uri, std::string name, BatchId batch, int lease_seconds)
        : conn_(uri, std::move(name)), batch_(batch), period_(std::max(200, lease_seconds * 1000 / 3)) {
        thread_ = std::thread([this] { run(); });
    }
    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;
    ~Heartbeat() {
        {
            const std::lock_guard lock(m_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    /// Why the lease is lost ("" while it is live, as far as the heartbeat knows).
    std::string lost() const {
        const std::lock_guard lock(m_);
        return lost_;
    }

private:
    void run() {
        std::unique_lock lock(m_);
        while (!stop_) {
            cv_.wait_for(lock, std::chrono::milliseconds(period_), [this] { return stop_; });
            if (stop_) break;
            lock.unlock();
            std::string why;
            try {
                auto r = conn_.exec("UPDATE batches SET lease_expires = clock_timestamp() + "
                                    "make_interval(secs => lease_seconds) WHERE id = $1 AND ended_at IS NULL AND "
                                    "lease_expires > clock_timestamp()",
                                    {num(batch_)}, "renew the lease");
                if (r.affected() != 1)
                    why = fmt::format("the lease of batch {} expired before the heartbeat could renew it", batch_);
            } catch (const Error& e) {
                why = e.what();
            }
            lock.lock();
            if (!why.empty()) {
                lost_ = why;
                break;
            }
        }
    }

    Conn conn_;
    BatchId batch_;
    int period_;
    mutable std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::string lost_;
    std::thread thread_;
};

class PgJournal final : public Journal {
public:
    PgJournal(const std::string& uri, std::string name) : uri_(uri), name_(std::move(name)), db_(uri, name_) {}

    void open_for_batch(const BatchStart& start, const PgOptions& options) {
        require_known_schema(db_);
        lease_seconds_ = options.lease_seconds;
        // A station frozen inside a transaction (SIGSTOP, a hung VM) would keep its row locks and
        // so keep every other station Busy on its records: the server ends such a session after
        // one lease, which releases them (our transactions take milliseconds).
        db_.exec("SELECT set_config('idle_in_transaction_session_timeout', $1, false)",
                 {num(static_cast<std::int64_t>(options.lease_seconds) * 1000)}, "set the idle transaction timeout");
        host_ = host_name();
        Tx tx(db_);
        // Two batches of one station opening at once queue here, so one of them is refused.
        db_.exec("SELECT pg_advisory_xact_lock(hashtext('docketcard station ' || $1))", {start.station},
                 "lock the station name");
        db_.exec("UPDATE batches SET ended_at = clock_timestamp(), outcome = 'interrupted' "
                 "WHERE ended_at IS NULL AND lease_expires < clock_timestamp()",
                 {}, "close batches whose lease expired");
        auto open = db_.exec(std::string(batch_select) + "WHERE station = $1 AND ended_at IS NULL ORDER BY id",
                             {start.station}, "find open batches of this station");
        for (int i = 0; i < open.rows(); ++i) {
            const auto b = read_batch(open, i);
            const auto host = open.text(i, 7);
            if (host == host_ && process_gone(b.pid)) {
                // Killed on this host: its lease protects nothing any more.
                db_.exec("UPDATE batches SET ended_at = clock_timestamp(), outcome = 'interrupted', "
                         "lease_expires = least(lease_expires, clock_timestamp()) WHERE id = $1",
                         {num(b.id)}, "close the batch of a process that is gone");
                continue;
            }
            throw Error(ErrorKind::Journal,
                        fmt::format("station {} is in use by batch {} (pid {} on {}, started {}, lease until {}); a "
                                    "second batch of the same station is refused: wait for it to end, stop it and "
                                    "run again to resume, or name this station otherwise with --station",
                                    start.station, b.id, b.pid, host, b.started_at, open.text(i, 8)));
        }
        auto ins = db_.exec("INSERT INTO batches(station, host, input, pid, lease_seconds, lease_expires) "
                            "VALUES ($1, $2, $3, $4, $5, clock_timestamp() + make_interval(secs => $5::int)) "
                            "RETURNING id",
                            {start.station, host_, start.input, num(::getpid()), num(options.lease_seconds)},
                            "insert the batch");
        const BatchId id = ins.integer(0, 0);
        // This station's own cards in progress are resumed by this batch (no other batch of the
        // station is live now); the holder changes, so a takeover racing this sees it is held.
        db_.exec("UPDATE attempts SET holder_batch = $1 WHERE station = $2 AND state IN ('writing', 'written', "
                 "'locked')",
                 {num(id), start.station}, "take this station's attempts in progress");
        tx.commit();
        batch_ = load_batch(id);
        heartbeat_ = std::make_unique<Heartbeat>(uri_, name_, id, options.lease_seconds);
    }

    void open_read_only() { require_known_schema(db_); }

    ~PgJournal() override { heartbeat_.reset(); }

    bool shared() const override { return true; }

    void check_lease() override {
        if (!heartbeat_) return;
        const auto why = heartbeat_->lost();
        if (!why.empty()) throw lease_lost(why);
    }

    std::optional<Batch> current_batch() const override { return batch_; }

    void end_batch(BatchOutcome outcome) override {
        require_batch("end the batch");
        const char* name = outcome == BatchOutcome::Complete     ? "complete"
                           : outcome == BatchOutcome::Incomplete ? "incomplete"
                                                                 : "failed";
        heartbeat_.reset();
        // The lease ends with the batch: its claims are released at once.
        db_.exec("UPDATE batches SET ended_at = clock_timestamp(), outcome = $2, lease_expires = clock_timestamp() "
                 "WHERE id = $1 AND ended_at IS NULL",
                 {num(batch_->id), std::string(name)}, "end the batch");
        batch_ = load_batch(batch_->id);
    }

    RecordRegistration register_record(const RecordEntry& e) override {
        require_batch("register a record");
        if (e.document_number.empty() && e.problems.empty())
            throw Error(ErrorKind::Internal,
                        fmt::format("record at {}: a record without a document number must be rejected", e.source));
        const std::string state = e.problems.empty() ? "pending" : "rejected";
        const std::string problems = fmt::format("{}", fmt::join(e.problems, "\n"));
        const Param doc = e.document_number.empty() ? Param{} : Param{e.document_number};
        Tx tx(db_);
        RecordRegistration reg;
        auto ins = db_.exec(e.document_number.empty()
                                ? "INSERT INTO records(document_number, source, digest, state, problems, batch_id, "
                                  "background_check) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                                  "ON CONFLICT (source) WHERE document_number IS NULL DO NOTHING RETURNING id"
                                : "INSERT INTO records(document_number, source, digest, state, problems, batch_id, "
                                  "background_check) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                                  "ON CONFLICT (document_number) DO NOTHING RETURNING id",
                            {doc, e.source, e.digest, state, problems, num(batch_->id), e.background_check},
                            "insert record");
        if (ins.rows() == 1) {
            reg.record_id = ins.integer(0, 0);
            reg.outcome = RecordRegistration::Outcome::Added;
            tx.commit();
            return reg;
        }
        auto old = e.document_number.empty()
                       ? db_.exec("SELECT id, digest, problems, source, state FROM records WHERE document_number IS "
                                  "NULL AND source = $1 FOR UPDATE",
                                  {e.source}, "find record")
                       : db_.exec("SELECT id, digest, problems, source, state FROM records WHERE document_number = $1 "
                                  "FOR UPDATE",
                                  {e.document_number}, "find record");
        reg.record_id = old.integer(0, 0);
        const bool content_same = old.text(0, 1) == e.digest && old.text(0, 2) == problems && old.text(0, 4) == state;
        if (!content_same || old.text(0, 3) != e.source) {
            db_.exec("UPDATE records SET source = $1, digest = $2, state = $3, problems = $4, updated_at = "
                     "clock_timestamp(), background_check = $6 WHERE id = $5",
                     {e.source, e.digest, state, problems, num(reg.record_id), e.background_check}, "update record");
        }
        reg.outcome = content_same ? RecordRegistration::Outcome::Unchanged : RecordRegistration::Outcome::Changed;
        if (!content_same) reg.previous_digest = old.text(0, 1);
        tx.commit();
        return reg;
    }

    std::optional<std::string> claim_refusal(std::string_view document_number, bool reissue) override {
        auto r = load_record(std::string(document_number));
        return refusal(document_number, r, reissue);
    }

    Attempt claim_record(std::string_view document_number, std::string_view reader, bool reissue) override {
        auto c = try_claim(document_number, reader, reissue);
        if (c.outcome != Claim::Outcome::Claimed) throw Error(ErrorKind::Journal, c.reason);
        return *c.attempt;
    }

    Claim try_claim(std::string_view document_number, std::string_view reader, bool reissue) override {
        require_batch("claim a record");
        check_lease();
        const std::string doc(document_number);
        Claim c;
        Tx tx(db_);
        fence();
        auto locked = db_.exec("SELECT id FROM records WHERE document_number = $1 FOR UPDATE SKIP LOCKED", {doc},
                               "lock the record");
        if (locked.rows() == 0) {
            auto exists = db_.exec("SELECT 1 FROM records WHERE document_number = $1", {doc}, "find the record");
            if (exists.rows() == 0) {
                c.reason = fmt::format("document number {} is not registered in the journal", doc);
                return c;
            }
            c.outcome = Claim::Outcome::Busy;
            c.reason = fmt::format("document number {} is being claimed by another station right now", doc);
            return c;
        }
        auto status = load_record(doc);
        std::optional<Attempt> expired;
        if (status->live_attempt && is_in_progress(status->live_attempt->state)) {
            const auto& a = *status->live_attempt;
            auto held = db_.exec(attempt_select + std::string("WHERE a.id = $1"), {num(a.id)}, "read attempt");
            const auto row = read_attempt(held, 0);
            if (row.holder == batch_->id) {
                c.reason = fmt::format("document number {} is in progress in attempt {} ({}, {}, reader {}) of this "
                                       "batch; finish or spoil that attempt first",
                                       doc, a.id, to_string(a.state), describe_serial(a.card_serial), a.reader);
                return c;
            }
            // The holder's batch row is locked by its own heartbeat or transition only for a
            // moment; SKIP LOCKED makes that a Busy answer instead of a wait.
            auto lease = db_.exec("SELECT lease_expires < clock_timestamp(), dk_ts(lease_expires), station FROM "
                                  "batches WHERE id = $1 FOR UPDATE SKIP LOCKED",
                                  {num(row.holder)}, "read the holder's lease");
            if (lease.rows() == 0 || !lease.boolean(0, 0)) {
                c.outcome = Claim::Outcome::Busy;
                c.reason = fmt::format("document number {} is in progress at station {} (attempt {}, {}, reader {}{})",
                                       doc, a.station, a.id, to_string(a.state), a.reader,
                                       lease.rows() ? ", lease until " + lease.text(0, 1) : "");
                return c;
            }
            const auto reason = fmt::format(
                "taken over by station {}: the lease of station {} (batch {}) expired at {} while this card was {}; "
                "the card ({}) must not be finished: set it aside and destroy it",
                batch_->station, a.station, row.holder, lease.text(0, 1), to_string(a.state),
                a.card_serial ? "serial " + *a.card_serial : "serial never read");
            auto spoil = db_.exec("UPDATE attempts SET state = 'spoiled', error = $2, updated_at = clock_timestamp(), "
                                  "finished_at = clock_timestamp() WHERE id = $1 AND holder_batch = $3 AND state IN "
                                  "('writing', 'written', 'locked')",
                                  {num(a.id), reason, num(row.holder)}, "spoil the attempt of an expired lease");
            if (spoil.affected() != 1) {
                c.outcome = Claim::Outcome::Busy;
                c.reason = fmt::format("document number {} changed hands while this station claimed it", doc);
                return c;
            }
            db_.exec("UPDATE batches SET ended_at = clock_timestamp(), outcome = 'interrupted' WHERE id = $1 AND "
                     "ended_at IS NULL",
                     {num(row.holder)}, "close the expired batch");
            add_event(a.id, "spoiled", reason);
            expired = a;
            status = load_record(doc);
        }
        if (auto why = refusal(doc, status, reissue)) {
            c.reason = *why;
            c.outcome = status->state == State::Verified ? Claim::Outcome::Done : Claim::Outcome::Refused;
            if (expired) {
                // Keep the takeover (it is true whatever happens next) without claiming.
                tx.commit();
                c.taken_over = attempt(expired->id);
            }
            return c;
        }
        std::optional<AttemptId> old;
        if (status->live_attempt && status->live_attempt->state == State::Verified) {
            old = status->live_attempt->id;
            db_.exec("UPDATE attempts SET state = 'superseded', updated_at = clock_timestamp(), superseded_at = "
                     "clock_timestamp() WHERE id = $1",
                     {num(*old)}, "supersede attempt");
        }
        auto ins = db_.exec("INSERT INTO attempts(record_id, batch_id, holder_batch, station, reader, record_digest, "
                            "state, source, background_check) SELECT r.id, $2, $2, $3, $4, r.digest, 'writing', "
                            "r.source, r.background_check FROM records r WHERE r.id = $1 RETURNING id",
                            {num(status->id), num(batch_->id), batch_->station, std::string(reader)},
                            "insert attempt");
        const AttemptId id = ins.integer(0, 0);
        add_event(id, "writing", fmt::format("claimed on reader {}", reader));
        if (old) {
            const auto detail = fmt::format("superseded by attempt {} (--reissue)", id);
            db_.exec("UPDATE attempts SET superseded_by = $1, error = $2 WHERE id = $3", {num(id), detail, num(*old)},
                     "link superseding attempt");
            add_event(*old, "superseded", detail);
        }
        if (expired) {
            db_.exec("UPDATE attempts SET taken_over_by = $1 WHERE id = $2", {num(id), num(expired->id)},
                     "link the takeover");
        }
        tx.commit();
        c.outcome = Claim::Outcome::Claimed;
        c.attempt = attempt(id);
        if (expired) c.taken_over = attempt(expired->id);
        return c;
    }

    Attempt set_card_serial(AttemptId id, ByteView serial) override {
        require_batch("record a card serial");
        if (serial.empty() || serial.size() > 32)
            throw Error(ErrorKind::Internal,
                        fmt::format("attempt {}: a card serial has 1 to 32 bytes, not {}", id, serial.size()));
        const auto hex = to_hex(serial);
        Tx tx(db_);
        fence();
        auto row = require_attempt(id, true);
        const auto& a = row.a;
        if (a.card_serial) {
            if (*a.card_serial == hex) return a;
            throw Error(ErrorKind::Journal, fmt::format("attempt {} ({}) already has card serial {}; refusing {}", id,
                                                        a.document_number, *a.card_serial, hex));
        }
        require_held(row, "record its card serial");
        if (a.state != State::Writing)
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; its card serial can only be recorded while writing", id,
                                    a.document_number, to_string(a.state)));
        auto used =
            db_.exec(attempt_select + std::string("WHERE a.card_serial = $1 AND a.id <> $2 ORDER BY a.id LIMIT 1"),
                     {hex, num(id)}, "find card serial");
        if (used.rows() > 0) {
            const auto other = read_attempt(used, 0).a;
            throw Error(ErrorKind::Journal,
                        fmt::format("card {} was already used by attempt {} ({}, {}, station {}); a card is never "
                                    "reused for another attempt",
                                    hex, other.id, other.document_number, to_string(other.state), other.station));
        }
        db_.exec("UPDATE attempts SET card_serial = $1, updated_at = clock_timestamp() WHERE id = $2", {hex, num(id)},
                 "record card serial");
        add_event(id, "writing", "card serial " + hex);
        tx.commit();
        return *attempt(id);
    }

    Attempt note_error(AttemptId id, std::string_view error) override {
        require_batch("note an error");
        Tx tx(db_);
        fence();
        auto row = require_attempt(id, true);
        require_held(row, "note an error on it");
        if (!is_in_progress(row.a.state))
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; errors can only be noted on an attempt in progress", id,
                                    row.a.document_number, to_string(row.a.state)));
        db_.exec("UPDATE attempts SET error = $1, updated_at = clock_timestamp() WHERE id = $2",
                 {std::string(error), num(id)}, "note error");
        add_event(id, to_string(row.a.state), std::string(error));
        tx.commit();
        return *attempt(id);
    }

    std::optional<RecordStatus> record(std::string_view document_number) override {
        return load_record(std::string(document_number));
    }

    std::vector<RecordStatus> records() override {
        auto q = db_.exec(std::string(record_select) + "ORDER BY r.id", {}, "list records");
        std::vector<RecordStatus> out;
        for (int i = 0; i < q.rows(); ++i) out.push_back(read_record(q, i));
        return out;
    }

    std::optional<Attempt> attempt(AttemptId id) override {
        auto q = db_.exec(attempt_select + std::string("WHERE a.id = $1"), {num(id)}, "read attempt");
        if (q.rows() == 0) return std::nullopt;
        return read_attempt(q, 0).a;
    }

    /// This station's attempts in progress only: those of other stations are theirs to resume
    /// (or to be taken over when their lease expires).
    std::vector<Attempt> in_progress_attempts() override {
        if (!batch_)
            return list(db_.exec(attempt_select + std::string("WHERE a.state IN ('writing', 'written', 'locked') "
                                                              "ORDER BY a.id"),
                                 {}, "list attempts in progress"));
        return list(db_.exec(attempt_select + std::string("WHERE a.state IN ('writing', 'written', 'locked') AND "
                                                          "a.holder_batch = $1 ORDER BY a.id"),
                             {num(batch_->id)}, "list attempts in progress"));
    }

    std::vector<Attempt> attempts_by_serial(ByteView serial) override {
        return list(db_.exec(attempt_select + std::string("WHERE a.card_serial = $1 ORDER BY a.id"), {to_hex(serial)},
                             "find attempts by serial"));
    }

    std::vector<Attempt> attempts() override {
        return list(db_.exec(attempt_select + std::string("ORDER BY a.id"), {}, "list attempts"));
    }

    std::vector<Batch> batches() override {
        auto q = db_.exec(std::string(batch_select) + "ORDER BY id", {}, "list batches");
        std::vector<Batch> out;
        for (int i = 0; i < q.rows(); ++i) out.push_back(read_batch(q, i));
        return out;
    }

    Summary summary() override {
        Summary s;
        for (State st : all_states()) s.by_state[st] = 0;
        Tx tx(db_);
        db_.exec_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", "read a snapshot");
        auto q = db_.exec("SELECT coalesce(a.state, r.state), count(*) FROM records r LEFT JOIN attempts a "
                          "ON a.record_id = r.id AND a.state IN ('writing', 'written', 'locked', 'verified') "
                          "GROUP BY 1",
                          {}, "count records");
        for (int i = 0; i < q.rows(); ++i) {
            s.by_state[stored_state(q.text(i, 0))] += q.integer(i, 1);
            s.records += q.integer(i, 1);
        }
        auto a = db_.exec("SELECT state, count(*) FROM attempts GROUP BY state", {}, "count attempts");
        for (int i = 0; i < a.rows(); ++i) {
            const auto st = stored_state(a.text(i, 0));
            if (st == State::Spoiled || st == State::Superseded) s.by_state[st] += a.integer(i, 1);
            s.attempts += a.integer(i, 1);
        }
        tx.commit();
        return s;
    }

private:
    Error lease_lost(const std::string& why) const {
        return Error(ErrorKind::Journal,
                     fmt::format("station {} lost its lease on journal {} ({}); it stops without touching another "
                                 "card: another station may take over its cards in progress. Run the same command "
                                 "again to resume what is still this station's",
                                 batch_->station, name_, why));
    }

    void require_batch(std::string_view what) const {
        if (!batch_)
            throw Error(ErrorKind::Journal, fmt::format("journal {} is open read-only: cannot {}", name_, what));
    }

    /// In the caller's transaction: renews this batch's lease, or refuses when it expired (an
    /// expired lease is never renewed: another station may already hold this station's records).
    void fence() {
        auto r = db_.exec("UPDATE batches SET lease_expires = clock_timestamp() + make_interval(secs => lease_seconds) "
                          "WHERE id = $1 AND ended_at IS NULL AND lease_expires > clock_timestamp() RETURNING id",
                          {num(batch_->id)}, "renew the lease");
        if (r.rows() != 1) {
            auto b = db_.exec("SELECT dk_ts(lease_expires) FROM batches WHERE id = $1", {num(batch_->id)},
                              "read the lease");
            throw lease_lost(fmt::format("its lease expired at {}", b.rows() ? b.text(0, 0) : "?"));
        }
    }

    /// Refuses a transition on an attempt this batch no longer holds, naming who took it over.
    void require_held(const Row& row, std::string_view what) {
        if (row.holder == batch_->id) return;
        const auto& a = row.a;
        if (row.taken_over_by) {
            const auto by = attempt(*row.taken_over_by);
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}, {}) was taken over by station {} (attempt {}) after this "
                                    "station's lease expired; this station must not {}: do not finish this card, set "
                                    "it aside and destroy it",
                                    a.id, a.document_number, describe_serial(a.card_serial),
                                    by ? by->station : std::string("?"), *row.taken_over_by, what));
        }
        throw Error(ErrorKind::Journal,
                    fmt::format("attempt {} ({}) is held by batch {}, not by this batch {}; this station must not {}",
                                a.id, a.document_number, row.holder, batch_->id, what));
    }

    Batch load_batch(BatchId id) {
        auto q = db_.exec(std::string(batch_select) + "WHERE id = $1", {num(id)}, "read batch");
        if (q.rows() == 0) throw Error(ErrorKind::Journal, fmt::format("journal {}: batch {} vanished", name_, id));
        return read_batch(q, 0);
    }

    std::optional<RecordStatus> load_record(const std::string& document_number) {
        auto q =
            db_.exec(std::string(record_select) + "WHERE r.document_number = $1", {document_number}, "read record");
        if (q.rows() == 0) return std::nullopt;
        return read_record(q, 0);
    }

    static std::optional<std::string> refusal(std::string_view document_number, const std::optional<RecordStatus>& r,
                                              bool reissue) {
        if (!r) return fmt::format("document number {} is not registered in the journal", document_number);
        if (r->live_attempt && is_in_progress(r->live_attempt->state)) {
            const auto& a = *r->live_attempt;
            return fmt::format("document number {} is in progress in attempt {} ({}, {}, station {}, reader {}); "
                               "resume or spoil that attempt first",
                               document_number, a.id, to_string(a.state), describe_serial(a.card_serial), a.station,
                               a.reader);
        }
        if (r->live_attempt && r->live_attempt->state == State::Verified && !reissue) {
            const auto& a = *r->live_attempt;
            return fmt::format("document number {} was already verified on card {} (attempt {}, station {}, {}); use "
                               "--reissue to issue a replacement card",
                               document_number, a.card_serial.value_or("?"), a.id, a.station,
                               a.finished_at.value_or("?"));
        }
        if (!r->problems.empty())
            return fmt::format("document number {} ({}) is rejected and cannot be personalized: {}", document_number,
                               r->source, fmt::join(r->problems, "; "));
        return std::nullopt;
    }

    Row require_attempt(AttemptId id, bool lock) {
        auto q = db_.exec(attempt_select + std::string("WHERE a.id = $1") + (lock ? " FOR UPDATE OF a" : ""),
                          {num(id)}, "read attempt");
        if (q.rows() == 0) throw Error(ErrorKind::Journal, fmt::format("journal {} has no attempt {}", name_, id));
        return read_attempt(q, 0);
    }

    Attempt transition(AttemptId id, State target, std::initializer_list<State> from,
                       std::optional<std::string> error) override {
        require_batch(std::string("mark an attempt ") + to_string(target));
        Tx tx(db_);
        fence();
        const auto row = require_attempt(id, true);
        const auto& a = row.a;
        require_held(row, std::string("mark it ") + to_string(target));
        if (std::find(from.begin(), from.end(), a.state) == from.end()) {
            std::vector<std::string> names;
            for (State s : from) names.emplace_back(to_string(s));
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) is {}; it cannot become {} (allowed from: {})", id,
                                    a.document_number, to_string(a.state), to_string(target), fmt::join(names, ", ")));
        }
        if (target == State::Written && !a.card_serial)
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) has no card serial; record it before marking the attempt written",
                                    id, a.document_number));
        const bool finished = target == State::Verified || target == State::Spoiled;
        auto q = db_.exec(std::string("UPDATE attempts SET state = $1, updated_at = clock_timestamp(), ") +
                              (finished ? "finished_at = clock_timestamp(), " : "") +
                              "error = coalesce($2, error) WHERE id = $3 AND state = $4 AND holder_batch = $5",
                          {std::string(to_string(target)), error, num(id), std::string(to_string(a.state)),
                           num(batch_->id)},
                          "update attempt state");
        if (q.affected() != 1)
            throw Error(ErrorKind::Journal,
                        fmt::format("attempt {} ({}) changed under this batch; it was not marked {}", id,
                                    a.document_number, to_string(target)));
        add_event(id, to_string(target), error.value_or(""));
        tx.commit();
        return *attempt(id);
    }

    void add_event(AttemptId id, std::string_view state, const std::string& detail) {
        db_.exec("INSERT INTO events(attempt_id, state, detail) VALUES ($1, $2, $3)",
                 {num(id), std::string(state), detail}, "insert event");
    }

    static std::vector<Attempt> list(const Result& q) {
        std::vector<Attempt> out;
        for (int i = 0; i < q.rows(); ++i) out.push_back(read_attempt(q, i).a);
        return out;
    }

    std::string uri_;
    std::string name_;
    Conn db_;
    std::string host_;
    int lease_seconds_ = default_lease_seconds;
    std::optional<Batch> batch_;
    std::unique_ptr<Heartbeat> heartbeat_;
};

}  // namespace

bool is_journal_uri(std::string_view journal) noexcept {
    return journal.starts_with("postgresql://") || journal.starts_with("postgres://");
}

void check_journal_uri(const std::string& uri) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
    if (!opts) {
        std::string msg = err ? err : "out of memory";
        if (err) PQfreemem(err);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        throw Error(ErrorKind::Usage,
                    fmt::format("--journal: not a valid PostgreSQL connection URI ({}); expected "
                                "postgresql://USER@HOST[:PORT]/DATABASE, or a file path for a SQLite journal",
                                msg));
    }
    bool password = false;
    for (auto* o = opts; o->keyword; ++o) {
        if (std::string_view(o->keyword) == "password" && o->val && *o->val) password = true;
    }
    PQconninfoFree(opts);
    if (password)
        throw Error(ErrorKind::Usage,
                    "--journal: the connection URI holds a password; a password on a command line is visible to "
                    "every user of this machine. Remove it from the URI and put it in ~/.pgpass (or the file "
                    "PGPASSFILE names), one line HOST:PORT:DATABASE:USER:PASSWORD, mode 0600");
}

std::unique_ptr<Journal> open_pg_journal(const std::string& uri, const BatchStart& start, const PgOptions& options) {
    check_journal_uri(uri);
    if (options.lease_seconds < 1 || options.lease_seconds > 3600)
        throw Error(ErrorKind::Usage,
                    fmt::format("--lease-seconds must be 1 to 3600, not {}", options.lease_seconds));
    auto j = std::make_unique<PgJournal>(uri, display_name(uri));
    j->open_for_batch(start, options);
    return j;
}

std::unique_ptr<Journal> open_pg_journal_read_only(const std::string& uri) {
    check_journal_uri(uri);
    auto j = std::make_unique<PgJournal>(uri, display_name(uri));
    j->open_read_only();
    return j;
}

PgInit init_pg_journal(const std::string& uri) {
    check_journal_uri(uri);
    Conn c(uri, display_name(uri));
    Tx tx(c);
    // One migrator at a time, whoever else runs --init.
    c.exec_script("SELECT pg_advisory_xact_lock(hashtext('docketcard journal schema'))", "lock the schema");
    PgInit out;
    out.from = schema_version(c);
    if (out.from > pg_schema_version)
        throw Error(ErrorKind::Journal,
                    fmt::format("journal {} has schema version {}, newer than this docketcard knows ({}); use a newer "
                                "docketcard",
                                c.name(), out.from, pg_schema_version));
    for (int v = out.from; v < pg_schema_version; ++v)
        c.exec_script(pg::migrations[static_cast<std::size_t>(v)], fmt::format("schema migration {} -> {}", v, v + 1));
    c.exec("UPDATE docketcard_schema SET version = $1", {num(pg_schema_version)}, "set the schema version");
    tx.commit();
    out.to = pg_schema_version;
    return out;
}

}  // namespace docketcard::journal
