// One batch at a time and crash safety, with real processes: a child holds the journal or works
// on it and is killed with SIGKILL; the parent then reopens the journal and checks its invariants.
// The kill points come from a fixed-seed generator counting committed transactions, not from
// timing, so the tests cannot pass or fail by luck of the scheduler.
#include <catch2/catch.hpp>

#include <csignal>
#include <random>

#include <sys/wait.h>
#include <unistd.h>

#include "docketcard/journal/sqlite_journal.hpp"
#include "docketcard/util/error.hpp"
#include "journal_test_util.hpp"

using namespace docketcard;
using namespace docketcard::journal;
using journal_test::entry;
using journal_test::RawDb;
using journal_test::TempDir;

namespace {

/// A forked child connected by a pipe; killed with SIGKILL on destruction if still running.
class Child {
public:
    template <typename Body>
    explicit Child(Body body) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(fds[0]);
            int code = 0;
            try {
                body(fds[1]);
            } catch (...) {
                code = 1;
            }
            ::_exit(code);
        }
        ::close(fds[1]);
        read_fd_ = fds[0];
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) kill();
        ::close(read_fd_);
    }

    /// Reads up to `n` progress bytes; returns how many arrived before the child closed the pipe.
    int read_progress(int n) {
        int got = 0;
        char c;
        while (got < n && ::read(read_fd_, &c, 1) == 1) ++got;
        return got;
    }

    /// SIGKILL and reap; returns true when the child was killed (not already exited).
    bool kill() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

    /// Waits for a normal exit; returns the exit code.
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int read_fd_ = -1;
};

void signal_progress(int fd) {
    const char c = '.';
    if (::write(fd, &c, 1) != 1) ::_exit(3);
}

std::string document_number(int i) { return "D" + std::to_string(1000 + i); }

Bytes serial_for(AttemptId id) {
    Bytes s(10, 0x5A);
    for (int i = 0; i < 8; ++i) s[9 - i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(id) >> (8 * i));
    return s;
}

/// What a batch does, in miniature: resume what is in progress (finish a card with a serial on
/// even attempts, spoil it on odd ones; spoil a card without a serial), register every record,
/// then claim and issue every pending record, spoiling every 5th attempt. Signals after every
/// committed transaction.
void run_batch(const std::filesystem::path& path, int records, int progress_fd) {
    auto j = open_sqlite_journal(path, {"station-crash", "generated"});
    signal_progress(progress_fd);
    for (const auto& a : j->in_progress_attempts()) {
        if (!a.card_serial) {
            j->mark_spoiled(a.id, "interrupted before the card serial was read");
        } else if (a.id % 2 == 0) {
            if (a.state == State::Writing) {
                j->mark_written(a.id);
                signal_progress(progress_fd);
            }
            if (j->attempt(a.id)->state == State::Written) {
                j->mark_locked(a.id);
                signal_progress(progress_fd);
            }
            j->mark_verified(a.id);
        } else {
            j->mark_spoiled(a.id, "card not presented on resume");
        }
        signal_progress(progress_fd);
    }
    for (int i = 0; i < records; ++i) {
        j->register_record(entry(document_number(i), "gen:" + std::to_string(i + 1)));
        signal_progress(progress_fd);
    }
    for (int i = 0; i < records; ++i) {
        const auto doc = document_number(i);
        if (j->claim_refusal(doc, false)) continue;
        auto a = j->claim_record(doc, "Reader 0", false);
        signal_progress(progress_fd);
        j->set_card_serial(a.id, serial_for(a.id));
        signal_progress(progress_fd);
        if (a.id % 5 == 0) {
            j->mark_spoiled(a.id, "6A84 not enough memory");
            signal_progress(progress_fd);
            --i;  // the same record gets another card
            continue;
        }
        j->mark_written(a.id);
        signal_progress(progress_fd);
        j->mark_locked(a.id);
        signal_progress(progress_fd);
        j->mark_verified(a.id);
        signal_progress(progress_fd);
    }
    j->end_batch(BatchOutcome::Complete);
    signal_progress(progress_fd);
}

}  // namespace

TEST_CASE("a second batch on the same journal is refused, in-process and across processes", "[journal][lock]") {
    TempDir dir;
    const auto path = dir / "j.db";
    {
        auto first = open_sqlite_journal(path, {"station-1", "a.jsonl"});
        const auto b = *first->current_batch();
        try {
            open_sqlite_journal(path, {"station-1", "b.jsonl"});
            FAIL("second batch was not refused");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Journal);
            CHECK(std::string(e.what()) ==
                  "journal " + path.string() + " is in use by batch 1 (pid " + std::to_string(::getpid()) +
                      ", started " + b.started_at +
                      " on station station-1); a second batch on the same journal is refused: wait for it to end, "
                      "or stop it and run again to resume");
        }
    }
    // Released on close: a new batch opens.
    CHECK(open_sqlite_journal(path, {"station-1", "c.jsonl"})->current_batch()->id == 2);
}

TEST_CASE("the lock of a batch killed with SIGKILL is released by the kernel", "[journal][lock]") {
    TempDir dir;
    const auto path = dir / "j.db";
    Child holder([&](int fd) {
        auto j = open_sqlite_journal(path, {"station-k", "held"});
        signal_progress(fd);
        for (;;) ::pause();
    });
    REQUIRE(holder.read_progress(1) == 1);

    try {
        open_sqlite_journal(path, {"station-2", "x"});
        FAIL("second batch was not refused");
    } catch (const Error& e) {
        const std::string prefix = "journal " + path.string() + " is in use by batch 1 (pid " +
                                   std::to_string(holder.pid()) + ", started ";
        CHECK(std::string(e.what()).rfind(prefix, 0) == 0);
    }
    // A reader is not blocked by the batch.
    CHECK(open_sqlite_journal_read_only(path)->batches().size() == 1);

    REQUIRE(holder.kill());
    auto j = open_sqlite_journal(path, {"station-2", "x"});
    CHECK(j->current_batch()->id == 2);
    auto b = j->batches();
    REQUIRE(b.size() == 2);
    CHECK(b[0].outcome == std::optional<std::string>("interrupted"));
    CHECK(b[0].ended_at.has_value());
}

TEST_CASE("a batch killed at random points loses nothing and never verifies a record twice", "[journal][crash]") {
    TempDir dir;
    const auto path = dir / "j.db";
    constexpr int records = 12;
    std::mt19937 rng(20240501);
    std::uniform_int_distribution<int> kill_after(1, 30);

    // Rounds go on until 5 kills landed (at most 40 rounds): a kill point at a run's very last
    // event can find the child already exited, more often on a loaded machine.
    int kills = 0;
    for (int round = 0; kills < 5 && round < 40; ++round) {
        Child worker([&](int fd) { run_batch(path, records, fd); });
        const int wanted = kill_after(rng);
        const int got = worker.read_progress(wanted);
        if (got == wanted) {
            kills += worker.kill() ? 1 : 0;
        } else {
            REQUIRE(worker.wait() == 0);  // finished before the kill point
        }

        // Invariants after every kill, checked below the interface.
        RawDb raw(path);
        CHECK(raw.text("PRAGMA integrity_check") == "ok");
        CHECK(raw.integer("SELECT count(*) FROM (SELECT record_id FROM attempts WHERE state = 'verified' "
                          "GROUP BY record_id HAVING count(*) > 1)") == 0);
        CHECK(raw.integer("SELECT count(*) FROM (SELECT record_id FROM attempts WHERE state IN "
                          "('writing', 'written', 'locked', 'verified') GROUP BY record_id HAVING count(*) > 1)") == 0);
        CHECK(raw.integer("SELECT count(*) FROM (SELECT card_serial FROM attempts WHERE card_serial IS NOT NULL "
                          "GROUP BY card_serial HAVING count(*) > 1)") == 0);
    }
    CHECK(kills == 5);

    // The last run completes.
    {
        Child worker([&](int fd) { run_batch(path, records, fd); });
        worker.read_progress(1 << 20);
        REQUIRE(worker.wait() == 0);
    }
    auto j = open_sqlite_journal_read_only(path);
    auto all = j->records();
    REQUIRE(all.size() == static_cast<std::size_t>(records));
    for (int i = 0; i < records; ++i) {
        CHECK(all[static_cast<std::size_t>(i)].document_number == document_number(i));
        CHECK(all[static_cast<std::size_t>(i)].state == State::Verified);
    }
    CHECK(j->in_progress_attempts().empty());
    auto s = j->summary();
    CHECK(s.by_state[State::Verified] == records);
    CHECK(s.by_state[State::Pending] == 0);
    CHECK(s.attempts == s.by_state[State::Verified] + s.by_state[State::Spoiled]);
    RawDb raw(path);
    CHECK(raw.text("PRAGMA integrity_check") == "ok");
    CHECK(raw.integer("SELECT count(*) FROM attempts WHERE state = 'verified'") == records);
}
