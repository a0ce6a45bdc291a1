// The shared journal: one PostgreSQL database (15 or later) that several stations use at once,
// through libpq (docs/journal.md "The shared journal", docs/dependencies.md).
//
// Same rules as the SQLite journal (journal.hpp), for every station together:
//   - claims: a record is claimed in one transaction that locks its row with
//     SELECT ... FOR UPDATE SKIP LOCKED, so a station never waits for a record another one is
//     claiming (it is Busy and tried later), and the claim exists before any card is touched;
//   - leases: each batch holds a lease (batches.lease_expires, default 60 s) renewed by a
//     heartbeat thread on its own connection every lease/3 and by every transition. An expired
//     lease is never renewed. Another station may then take over the records the batch held: its
//     in-progress attempt becomes spoiled (serial kept, taken_over_by set) and a new attempt is
//     claimed. Every transition of an attempt checks, in its own transaction, that the attempt
//     is still held by this batch (attempts.holder_batch, the fencing token) and that the
//     batch's lease is live, so a station that comes back after a takeover cannot lock or verify
//     that card and is told so (exit 8);
//   - exactly once: the partial unique indexes of the SQLite schema (one verified attempt per
//     record, one live attempt per record and per card), so a second valid card for a document
//     number is refused by the server even when written by hand.
// A journal object is not thread-safe: use it from one thread (the batch's coordinator).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "docketcard/journal/journal.hpp"

namespace docketcard::journal {

/// The shared schema version this build writes and accepts (table docketcard_schema).
inline constexpr int pg_schema_version = 1;
/// Default lease of a station's batch on its claims, in seconds.
inline constexpr int default_lease_seconds = 60;

/// True when `journal` names a shared journal: a libpq URI "postgresql://..." or "postgres://...".
/// Anything else is a SQLite journal path.
bool is_journal_uri(std::string_view journal) noexcept;

/// Refuses (Error(Usage), exit 2) a URI libpq cannot parse or one that holds a password (in the
/// user part or as ?password=): a password on a command line is seen by every user of the machine
/// (ps) and lands in shell histories; libpq reads it from ~/.pgpass or PGPASSFILE instead. The
/// message never repeats the URI.
void check_journal_uri(const std::string& uri);

/// Options of a station's batch on a shared journal.
struct PgOptions {
    int lease_seconds = default_lease_seconds;   ///< 1..3600
};

/// Opens the shared journal for one station's batch: checks the schema version, refuses when a
/// batch of the same station still holds a live lease (one batch per station; a batch of this
/// station on this host whose process is gone is closed at once), inserts the batch row with its
/// lease, takes over this station's own in-progress attempts for resume, and starts the
/// heartbeat. Throws Error(Journal) when the server cannot be reached, has no docketcard schema
/// or one of another version.
std::unique_ptr<Journal> open_pg_journal(const std::string& uri, const BatchStart& start, const PgOptions& options);

/// Opens the shared journal read-only (the `journal` command). Mutating calls throw.
std::unique_ptr<Journal> open_pg_journal_read_only(const std::string& uri);

/// What init_pg_journal() did.
struct PgInit {
    int from = 0;   ///< version found (0: no schema)
    int to = 0;     ///< version now
};

/// Creates or migrates the shared schema in one transaction (`docketcard journal --init`).
/// Throws Error(Journal) for a database of a newer schema or one that is not a docketcard journal.
PgInit init_pg_journal(const std::string& uri);

}  // namespace docketcard::journal
