// Batch issuance at an issuance site (`docketcard issue`): holder records from one or more files
// are personalized (perso::write_card), locked (perso::lock_card) and verified
// (verify::verify_card: ICAO Doc 9303 Part 11 BAC + passive and active authentication) on cards
// in one or more readers, recorded in the crash-safe journal (journal.hpp, docs/journal.md) so
// that every valid record gets exactly one valid card, even when the process is killed.
//
// Threads: one worker per reader; records are handed out from one queue. The journal is used
// under one mutex (a journal object is single-threaded); events are delivered one at a time.
//
// Per record, per card (the order that makes it exactly once):
//   0. a shared journal (PostgreSQL, journal/pg_journal.hpp) claims the record first
//      (Journal::try_claim): a record another station holds is Busy and handed out again later,
//      one verified by any station is skipped, so no card is taken for it;
//   1. obtain a card: a sim:DIR/ reader makes a NEW card file in DIR; a PC/SC reader waits for a
//      card to be inserted (the printer parks it at the encoder);
//   2. claim_record (exactly once: refused when the record is verified, unless --reissue), unless
//      claimed in 0: the card is journaled, as an attempt without serial, BEFORE its first command;
//   3. read its serial (perso::read_card_info); a card that is not blank, or whose serial the
//      journal already knows, is not used (PC/SC: the operator is asked to remove it) and the
//      claim waits for the next card; set_card_serial BEFORE the card receives any data;
//   4. write_card -> mark_written -> lock_card -> mark_locked -> verify_card (record + CSCA),
//      HTML report REPORTS/<document_number>-<serial>.html -> mark_verified;
//   5. any failure of the card (refused, torn, verification failed) -> the card is set aside
//      (sim: moved into DIR/spoiled/ BEFORE the journal says spoiled; PC/SC: the operator is
//      asked to remove it and put it on the spoiled pile), mark_spoiled(reason), and the record
//      is retried on a new card, at most max_attempts cards per record in one run.
//
// Resume rules (a run of the same command after a kill; journal::resume_step):
//   - every card file of this run's sim folders is checked against the journal first: one whose
//     attempts are all spoiled (e.g. taken over by another station) goes to DIR/spoiled/; one no
//     attempt knows is given to the attempt of its reader that has no serial (the newest such
//     card: its serial is journaled and it is spoiled), and any left over is set aside, reported;
//   - an attempt without serial on a PC/SC reader of this run with a card in it that no attempt
//     knows: that card's serial is journaled, the attempt spoiled, the operator asked to remove it;
//   - verified records are skipped (unless reissue);
//   - an in-progress attempt without a serial is spoiled (the card got no data);
//   - an in-progress attempt whose record changed since it began is spoiled (never lock old data);
//   - an in-progress attempt with a serial made on a sim:DIR/ reader of this run: the card file
//     holding that serial is searched in DIR and reopened. LOCKED -> (mark written/locked) ->
//     verify; PERSONALIZED -> lock -> verify; BLANK or PERSONALIZING -> write_card, which
//     finishes an incomplete card of the same holder; BLOCKED, or any failure while finishing ->
//     set aside and spoiled, and the record gets a new card. Verification checks every field
//     against the record, so a finished card holds exactly this holder's data.
//   - an in-progress attempt whose card cannot be found (a PC/SC reader, or a sim folder not in
//     this run, or the file is gone) is spoiled: "card SERIAL was in progress when the batch
//     stopped and was not presented; destroy it if found". Its record gets a new card.
//   Attempts spoiled at resume count against max_attempts of this run.
//   After an interrupted run with reissue, run again WITHOUT reissue to resume: with reissue every
//   verified record of the input is reissued again.
//
// No two valid cards carry the same document number: the journal allows one live attempt per
// record, and a card leaves the reader (or its sim folder) marked spoiled before its attempt is.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "docketcard/apdu/link_model.hpp"
#include "docketcard/applet/card.hpp"
#include "docketcard/journal/journal.hpp"
#include "docketcard/record/record.hpp"

namespace docketcard::batch {

/// What happened, for progress displays and the --json event stream.
enum class EventKind {
    BatchStarted,    ///< records registered, resume done: total = valid records, done = already issued
    WaitingForCard,  ///< a PC/SC worker asks for a blank card
    CardInserted,    ///< a card is present and its serial read (sim: a new card file)
    CardNotUsable,   ///< the inserted card is not blank or was used before: remove it
    RecordStarted,   ///< a record was claimed on a card (attempt begun)
    Resumed,         ///< an in-progress attempt from an earlier run is being finished
    Progress,        ///< a write step (detail), with bytes done/total
    Written,         ///< the card is personalized
    Locked,          ///< the card is locked
    Verified,        ///< the card passed verification: the record is issued
    Rejected,        ///< an input record is invalid (detail: the problems, one per line)
    Skipped,         ///< a record already verified in an earlier run
    Spoiled,         ///< a card failed and was set aside (detail: the reason)
    Failed,          ///< a record failed on max_attempts cards in this run
    RemoveCard,      ///< a PC/SC worker waits for the card to be removed
    ReaderFailed,    ///< a reader stopped working; its worker stopped
    BatchDone,       ///< the end (the result is in BatchResult)
};

/// "record_started", "verified", ... (the --json "event" field).
const char* to_string(EventKind kind) noexcept;

/// One event. Fields that do not apply are empty.
struct Event {
    EventKind kind = EventKind::Progress;
    std::string reader;
    std::string document_number;
    std::string serial;                  ///< upper-case hex
    std::string detail;                  ///< reason, step, problems, or a prompt for the operator
    std::optional<journal::AttemptId> attempt;
    int attempt_number = 0;              ///< 1.. for the card attempts of this record in this run
    std::string card_location;           ///< sim: card file (after set-aside: where it now is)
    std::string report;                  ///< HTML QA report path (verified/spoiled after verify)
    std::size_t done = 0, total = 0;     ///< Progress: bytes
};

/// How a run ended; the CLI maps it to its exit code (apps/cmd_issue.cpp, docs/cli.md `## issue`).
enum class Outcome {
    Complete,        ///< every record is valid and verified (exit 0)
    InvalidRecords,  ///< every VALID record is verified, but some input records were rejected (exit 3)
    Incomplete,      ///< some valid records were not issued: failed on max_attempts cards (exit 9)
    StrictRefused,   ///< strict and invalid input: nothing was done (exit 3)
    ReaderFailure,   ///< every reader failed before the batch was done (exit 4)
    Interrupted,     ///< stop was requested (SIGINT) before the batch was done (exit 130)
};

/// "complete", "invalid_records", "incomplete", ...
const char* to_string(Outcome outcome) noexcept;

/// The cards verified in this run on `sim:DIR/?link=PROFILE` readers of one link profile: what
/// the physical link would have taken for them (apdu/link_model.hpp; docs/sim.md "Link model"),
/// next to the host's measured time for the same cards.
struct LinkTotals {
    std::string profile;
    std::size_t cards = 0;
    apdu::LinkAccount write;    ///< every command from the card's first (the card-information read) to written
    apdu::LinkAccount lock;
    apdu::LinkAccount verify;
    double host_seconds = 0;    ///< wall time of the same cards, from the card-information read to verified
    /// write + lock + verify.
    apdu::LinkAccount total() const {
        apdu::LinkAccount t = write;
        t += lock;
        t += verify;
        return t;
    }
};

/// What one run did and where things stand.
struct BatchResult {
    Outcome outcome = Outcome::Complete;
    std::size_t valid = 0;          ///< valid records in the input
    std::size_t rejected = 0;       ///< invalid records in the input (and duplicates)
    std::size_t issued = 0;         ///< records verified in this run
    std::size_t skipped = 0;        ///< records already verified in an earlier run
    std::size_t failed = 0;         ///< records that failed on max_attempts cards in this run
    std::size_t not_done = 0;       ///< valid records neither verified nor failed (interrupted, reader failure)
    std::size_t spoiled = 0;        ///< cards spoiled in this run (resume included)
    std::size_t superseded = 0;     ///< cards superseded by reissue in this run
    std::vector<std::string> spoiled_locations;  ///< sim: where the spoiled card files are
    std::vector<record::Rejected> rejected_records;
    std::vector<std::string> reader_errors;
    std::vector<LinkTotals> links;      ///< one per link profile of this run's sim: readers (none without)
    journal::Summary journal_summary;   ///< the journal's counts at the end
    std::chrono::milliseconds elapsed{0};
};

/// Everything a run needs.
struct BatchOptions {
    std::vector<std::filesystem::path> inputs;   ///< record files (JSON, JSON Lines, CSV)
    std::vector<std::string> readers;            ///< reader names (transport/reader.hpp)
    std::filesystem::path keys_dir;              ///< perso::IssuerKeys::load
    std::filesystem::path csca;                  ///< CSCA certificate for verify_card
    /// A SQLite journal file, or a PostgreSQL URI (postgresql://...) for a journal several
    /// stations share (journal/pg_journal.hpp): then each record is claimed before a card is
    /// touched, records other stations hold are tried again later, and reports_dir is required.
    std::filesystem::path journal_path;
    /// Lease of this station's claims on a shared journal, in seconds (renewed every lease/3).
    int lease_seconds = 60;
    std::optional<std::filesystem::path> reports_dir;  ///< default: JOURNAL.reports/
    bool reissue = false;
    bool strict = false;
    int max_attempts = 3;
    std::string station;                         ///< default: host name
    record::LoadOptions load_options;

    /// Receives every event, one at a time (serialized), from worker threads.
    std::function<void(const Event&)> on_event;
    /// Set (e.g. from a SIGINT handler) to stop handing out records: workers finish the card in
    /// their hands, then stop. Polled; may be null.
    const std::atomic<bool>* stop = nullptr;
    /// Test-only fault injector: options of the N-th (0-based) new card a sim:DIR/ reader makes
    /// in this run (e.g. CardOptions::tear_after). Default: applet defaults.
    std::function<applet::CardOptions(const std::string& reader, std::size_t card_index)> sim_card_options;
    /// Polling period of PC/SC waits (insert, removal) between checks of `stop`.
    std::chrono::milliseconds poll{250};
};

/// Canonical encoding of a record for journal::record_digest: every field that reaches the card
/// (the photo as its SHA-256), as compact JSON with sorted keys (RFC 8259). Not the source
/// position, and not the card access number (a secret: a digest would reveal it to a search of
/// 10^6 values).
std::string canonical_record(const record::HolderRecord& holder);

/// Runs a batch (see the header comment). Throws Error(Journal) when the journal is locked by
/// another batch or corrupt, Error(InvalidInput) for unreadable input, keys or CSCA,
/// Error(Usage) for a reader named twice, Error(Communication) when a reader cannot be opened.
/// Card failures never throw: they are spoiled cards and events.
BatchResult run_batch(const BatchOptions& options);

}  // namespace docketcard::batch
