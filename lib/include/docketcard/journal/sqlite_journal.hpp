// The single-station journal: one SQLite database file (docs/journal.md).
//
// Durability: WAL journal mode with synchronous=FULL, so a transaction that returned is on disk
// and survives SIGKILL and power loss. One batch at a time: a batch holds an exclusive flock(2)
// on "PATH.lock" for its lifetime; the kernel releases it when the process dies, SIGKILL
// included. Readers (the `journal` command) open the database read-only while a batch runs.
// A journal object is not thread-safe: use it from one thread (the batch's coordinator).
#pragma once

#include <filesystem>
#include <memory>

#include "docketcard/journal/journal.hpp"

namespace docketcard::journal {

/// The schema version this build writes (PRAGMA user_version).
inline constexpr int sqlite_schema_version = 3;
/// PRAGMA application_id of a docketcard journal ("DKJ1").
inline constexpr std::int32_t sqlite_application_id = 0x444B4A31;

/// Path of the lock file beside a journal database ("PATH.lock").
std::filesystem::path lock_path_for(const std::filesystem::path& journal_path);

/// Opens (creating if missing) the journal at `path` for one batch: takes the batch lock,
/// creates or migrates the schema, marks batches left open by a killed process as interrupted,
/// and inserts this batch's row. Throws Error(ErrorKind::Journal) when another batch holds the
/// journal ("journal PATH is in use by batch N (pid P, started T) ..."), when the file is not a
/// docketcard journal, or when its schema is newer than this build.
std::unique_ptr<Journal> open_sqlite_journal(const std::filesystem::path& path, const BatchStart& start);

/// Opens an existing journal read-only, without the batch lock (works while a batch runs).
/// Throws Error(ErrorKind::InvalidInput) when the file does not exist, Error(ErrorKind::Journal)
/// when it is not a docketcard journal. Mutating calls throw Error(ErrorKind::Journal).
std::unique_ptr<Journal> open_sqlite_journal_read_only(const std::filesystem::path& path);

}  // namespace docketcard::journal
