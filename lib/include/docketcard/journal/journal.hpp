// The batch journal: what a batch issuance needs to remember so that every holder record gets
// exactly one valid card, even when the process is killed at any moment (docs/journal.md).
//
// A journal holds records (one per document number, state pending or rejected) and card attempts
// (one per physical card tried for a record). An attempt moves through
//
//     writing ──► written ──► locked ──► verified ──► superseded   (only by a --reissue claim)
//        │           │           │
//        └───────────┴───────────┴──► spoiled   (the card must be destroyed)
//
// Every transition is one durable transaction. At most one attempt per record is "live"
// (writing, written, locked or verified), so a document number is never on two valid cards.
//
// The interface is storage-neutral: SqliteJournal (sqlite_journal.hpp) serves one station;
// PgJournal (pg_journal.hpp) is one PostgreSQL database that several stations share, each
// claiming a record under a lease before it touches a card (docs/journal.md, "The shared journal").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docketcard/util/bytes.hpp"

namespace docketcard::journal {

/// Identifies a card attempt within one journal.
using AttemptId = std::int64_t;
/// Identifies a batch run within one journal.
using BatchId = std::int64_t;

/// Every state a record or a card attempt can be in (issue "Batch issuance").
/// Records: pending, rejected. Attempts: writing, written, locked, verified, spoiled, superseded.
enum class State {
    Pending,     ///< record: valid, waiting for a card (also after its attempts were spoiled)
    Rejected,    ///< record: invalid input; never personalized
    Writing,     ///< attempt: claimed, the card is being personalized
    Written,     ///< attempt: personalization complete (card PERSONALIZED), not yet locked
    Locked,      ///< attempt: the card is LOCKED, not yet verified
    Verified,    ///< attempt: the locked card was read back and verified: the record is issued
    Spoiled,     ///< attempt: failed or interrupted beyond recovery: the card must be destroyed
    Superseded,  ///< attempt: a verified card replaced by --reissue: the card must be withdrawn
};

/// Lower-case name as stored and printed ("writing").
const char* to_string(State s) noexcept;
/// Parses a lower-case name; nullopt when unknown.
std::optional<State> parse_state(std::string_view name) noexcept;
/// Every state in enum order (summaries list them in this order).
const std::vector<State>& all_states();
/// True for writing, written and locked: a card is in progress.
bool is_in_progress(State s) noexcept;
/// True for writing, written, locked and verified: the attempt holds its record.
bool is_live(State s) noexcept;

/// Who runs a batch and on what; recorded with the batch row.
struct BatchStart {
    std::string station;   ///< station name (host name by default)
    std::string input;     ///< input description, e.g. the record file path(s)
};

/// How a batch ended (stored on its row).
enum class BatchOutcome { Complete, Incomplete, Failed };

/// A batch run as stored.
struct Batch {
    BatchId id = 0;
    std::string station;
    std::string input;
    std::int64_t pid = 0;
    std::string started_at;                 ///< UTC ISO 8601 with milliseconds
    std::optional<std::string> ended_at;
    std::optional<std::string> outcome;     ///< complete, incomplete, failed, interrupted
    std::optional<std::string> host;        ///< shared journal: the station's host name
    std::optional<std::string> lease_expires;  ///< shared journal: when the station's lease ends (UTC)
};

/// One holder record as the batch read it.
struct RecordEntry {
    std::string document_number;        ///< may be empty only for a rejected record
    std::string source;                 ///< "file:line"
    std::string digest;                 ///< record_digest() of the canonical record (64 hex)
    std::vector<std::string> problems;  ///< empty: pending; otherwise the record is rejected
    /// The reference of the background check the holder was cleared on; copied into each attempt.
    std::string background_check;
};

/// What register_record() found.
struct RecordRegistration {
    enum class Outcome {
        Added,      ///< first time this document number is seen
        Unchanged,  ///< seen before with the same digest, source and problems
        Changed,    ///< seen before with another digest or problems: the journal now holds the new one
    };
    std::int64_t record_id = 0;
    Outcome outcome = Outcome::Added;
    std::string previous_digest;        ///< set when Changed
};

/// One card attempt as stored.
struct Attempt {
    AttemptId id = 0;
    std::int64_t record_id = 0;
    std::string document_number;
    BatchId batch_id = 0;
    std::string station;
    std::string reader;
    std::string record_digest;             ///< digest of the record data written to this card
    std::optional<std::string> card_serial;  ///< upper-case hex, once known
    State state = State::Writing;
    std::optional<std::string> error;
    std::optional<AttemptId> superseded_by;
    std::string started_at;
    std::string updated_at;
    std::optional<std::string> finished_at;  ///< set once, on verified or spoiled; never changed after
    std::optional<std::string> superseded_at;  ///< set when a --reissue claim superseded this attempt
    std::string source;                      ///< the record's "file:line" this attempt was claimed from
    /// The background-check reference of the record when this attempt was claimed ("" in
    /// journals from before schema 3).
    std::string background_check;
};

/// One record with its effective state.
struct RecordStatus {
    std::int64_t id = 0;
    std::string document_number;           ///< empty for a rejected record without one
    std::string source;
    std::string digest;
    std::vector<std::string> problems;
    State state = State::Pending;          ///< the live attempt's state, else pending or rejected
    std::optional<Attempt> live_attempt;   ///< the attempt in writing..verified, if any
    int attempt_count = 0;                 ///< all attempts, including spoiled and superseded
    std::string registered_at;
    std::string updated_at;
};

/// Counts by state: records by effective state (pending, rejected, writing, written, locked,
/// verified) and attempts for spoiled and superseded. Every state is present, zero included.
struct Summary {
    std::map<State, std::int64_t> by_state;
    std::int64_t records = 0;
    std::int64_t attempts = 0;
};

/// What a resuming batch does with an attempt found in progress (docs/journal.md, "Resume").
enum class ResumeStep {
    SpoilUnread,     ///< writing without a card serial: the card got no data; spoil, claim again
    SpoilOutdated,   ///< the record changed since the attempt began: spoil, never lock old data
    IdentifyCard,    ///< ask for the card with this serial, then finish it or spoil it
};

/// The resume rule for an in-progress attempt, given the record's current digest.
/// Throws Error(Internal) for an attempt that is not in progress.
ResumeStep resume_step(const Attempt& attempt, std::string_view current_record_digest);

/// What Journal::try_claim() found.
struct Claim {
    enum class Outcome {
        Claimed,  ///< the attempt is begun (state writing, no card yet)
        Busy,     ///< another station holds the record under a live lease: try again later
        Done,     ///< the record is verified (by any station): nothing to do without reissue
        Refused,  ///< not registered, rejected, or in progress in this station's own attempt
    };
    Outcome outcome = Outcome::Refused;
    std::optional<Attempt> attempt;   ///< set when Claimed
    std::string reason;               ///< why not, when not Claimed
    /// Claimed over an attempt of another station whose lease expired: that attempt, now spoiled.
    std::optional<Attempt> taken_over;
};

/// SHA-256 (FIPS 180-4) of a canonical record encoding, as 64 upper-case hex digits: detects a
/// changed record for the same document number.
std::string record_digest(ByteView canonical_record);

/// The batch journal (issue "Batch issuance"). Mutating calls are each one durable transaction
/// and throw Error(ErrorKind::Journal) when refused, with a message naming the rule.
class Journal {
public:
    virtual ~Journal() = default;

    /// The batch this journal was opened for; nullopt when opened read-only.
    virtual std::optional<Batch> current_batch() const = 0;
    /// Records how the current batch ended. The lock is held until the object is destroyed.
    virtual void end_batch(BatchOutcome outcome) = 0;

    /// Registers (or re-registers on resume) a record. A changed digest is reported and stored;
    /// attempts keep the digest they were made with.
    virtual RecordRegistration register_record(const RecordEntry& entry) = 0;

    /// The exactly-once claim: why `document_number` may not get a new card now, or nullopt.
    /// Refused: not registered, rejected, in progress in another attempt, or verified (unless
    /// `reissue`).
    virtual std::optional<std::string> claim_refusal(std::string_view document_number, bool reissue) = 0;
    /// Claims the record and begins a card attempt on `reader` (state writing), atomically.
    /// With `reissue`, a verified attempt for the record becomes superseded in the same
    /// transaction. Throws Error(Journal) with claim_refusal()'s message when refused.
    virtual Attempt claim_record(std::string_view document_number, std::string_view reader, bool reissue) = 0;

    /// Records the card serial (writing only; set once). A serial already used by another
    /// attempt is refused: a spoiled or superseded card must be destroyed, not reused.
    virtual Attempt set_card_serial(AttemptId id, ByteView serial) = 0;
    /// writing -> written (the card serial must be known).
    Attempt mark_written(AttemptId id) { return transition(id, State::Written, {State::Writing}, {}); }
    /// written -> locked.
    Attempt mark_locked(AttemptId id) { return transition(id, State::Locked, {State::Written}, {}); }
    /// locked -> verified: the record is issued.
    Attempt mark_verified(AttemptId id) { return transition(id, State::Verified, {State::Locked}, {}); }
    /// writing/written/locked -> spoiled, with the error that caused it.
    Attempt mark_spoiled(AttemptId id, std::string_view error) {
        return transition(id, State::Spoiled, {State::Writing, State::Written, State::Locked}, std::string(error));
    }
    /// Records an error on an in-progress attempt without changing its state (e.g. a retry).
    virtual Attempt note_error(AttemptId id, std::string_view error) = 0;

    /// One record by document number.
    virtual std::optional<RecordStatus> record(std::string_view document_number) = 0;
    /// Every record, in registration order.
    virtual std::vector<RecordStatus> records() = 0;
    /// One attempt.
    virtual std::optional<Attempt> attempt(AttemptId id) = 0;
    /// Attempts in writing, written or locked (what a resuming batch must finish or spoil).
    virtual std::vector<Attempt> in_progress_attempts() = 0;
    /// Every attempt that recorded this card serial.
    virtual std::vector<Attempt> attempts_by_serial(ByteView serial) = 0;
    /// Every attempt, in id order (the audit trail).
    virtual std::vector<Attempt> attempts() = 0;
    /// Every batch run, in id order.
    virtual std::vector<Batch> batches() = 0;
    /// Counts by state.
    virtual Summary summary() = 0;

    /// True for a journal several stations share (PgJournal): a batch then claims each record
    /// before it touches a card and leaves records other stations hold to them.
    virtual bool shared() const { return false; }
    /// The claim of a shared journal: like claim_record(), but a record another station holds
    /// (Busy) or that is verified (Done) is an answer, not an error. The default answers from
    /// claim_refusal() (Refused) or claims with claim_record().
    virtual Claim try_claim(std::string_view document_number, std::string_view reader, bool reissue);
    /// Throws Error(Journal) when this station lost its lease on a shared journal (its heartbeat
    /// found it expired): the station must stop. Does nothing on a single-station journal.
    virtual void check_lease() {}

protected:
    /// Moves attempt `id` to `target` if it is in one of `from` (the mark_* table above is the one
    /// state machine of every journal), recording `error` with a spoiled one. Error(Journal) when
    /// the attempt is unknown or in another state.
    virtual Attempt transition(AttemptId id, State target, std::initializer_list<State> from,
                               std::optional<std::string> error) = 0;
};

}  // namespace docketcard::journal
