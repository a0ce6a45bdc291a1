// The journal schema as migrations: migrations[i] takes user_version i to i + 1, applied in one
// transaction. Never edit a released migration; append a new one (docs/journal.md).
#pragma once

#include <array>

namespace docketcard::journal::sqlite {

inline constexpr const char* migration_1 = R"sql(
CREATE TABLE batches(
  id          INTEGER PRIMARY KEY,
  station     TEXT NOT NULL,
  input       TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT,
  outcome     TEXT CHECK (outcome IN ('complete', 'incomplete', 'failed', 'interrupted'))
);

CREATE TABLE records(
  id              INTEGER PRIMARY KEY,
  document_number TEXT UNIQUE,
  source          TEXT NOT NULL,
  digest          TEXT NOT NULL CHECK (length(digest) = 64),
  state           TEXT NOT NULL CHECK (state IN ('pending', 'rejected')),
  problems        TEXT NOT NULL DEFAULT '',
  batch_id        INTEGER NOT NULL REFERENCES batches(id),
  registered_at   TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  CHECK (document_number IS NOT NULL OR state = 'rejected')
);

CREATE TABLE attempts(
  id             INTEGER PRIMARY KEY,
  record_id      INTEGER NOT NULL REFERENCES records(id),
  batch_id       INTEGER NOT NULL REFERENCES batches(id),
  station        TEXT NOT NULL,
  reader         TEXT NOT NULL,
  record_digest  TEXT NOT NULL,
  card_serial    TEXT,
  state          TEXT NOT NULL
                 CHECK (state IN ('writing', 'written', 'locked', 'verified', 'spoiled', 'superseded')),
  error          TEXT,
  superseded_by  INTEGER REFERENCES attempts(id),
  started_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  finished_at    TEXT,
  CHECK (card_serial IS NOT NULL OR state IN ('writing', 'spoiled'))
);

-- Exactly once, enforced below the code: one verified card per record (= per document number),
-- and at most one live attempt per record and per physical card.
CREATE UNIQUE INDEX attempts_one_verified_per_record ON attempts(record_id) WHERE state = 'verified';
CREATE UNIQUE INDEX attempts_one_live_per_record ON attempts(record_id)
  WHERE state IN ('writing', 'written', 'locked', 'verified');
CREATE UNIQUE INDEX attempts_one_live_per_card ON attempts(card_serial)
  WHERE card_serial IS NOT NULL AND state IN ('writing', 'written', 'locked', 'verified');
CREATE INDEX attempts_by_serial ON attempts(card_serial);
CREATE INDEX attempts_by_record ON attempts(record_id);

-- Only the transitions of docs/journal.md; a card serial, once set, never changes.
CREATE TRIGGER attempts_transition BEFORE UPDATE OF state ON attempts
WHEN OLD.state <> NEW.state AND NOT (
     (OLD.state = 'writing'  AND NEW.state IN ('written', 'spoiled'))
  OR (OLD.state = 'written'  AND NEW.state IN ('locked', 'spoiled'))
  OR (OLD.state = 'locked'   AND NEW.state IN ('verified', 'spoiled'))
  OR (OLD.state = 'verified' AND NEW.state = 'superseded'))
BEGIN
  SELECT RAISE(ABORT, 'journal rule: attempt state transition not allowed');
END;

CREATE TRIGGER attempts_serial_fixed BEFORE UPDATE OF card_serial ON attempts
WHEN OLD.card_serial IS NOT NULL AND NEW.card_serial IS NOT OLD.card_serial
BEGIN
  SELECT RAISE(ABORT, 'journal rule: a card serial never changes');
END;

CREATE TRIGGER attempts_new_is_writing BEFORE INSERT ON attempts
WHEN NEW.state <> 'writing'
BEGIN
  SELECT RAISE(ABORT, 'journal rule: an attempt starts in state writing');
END;

CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
BEGIN
  SELECT RAISE(ABORT, 'journal rule: attempts are never deleted');
END;

CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN
  SELECT RAISE(ABORT, 'journal rule: records are never deleted');
END;

-- Audit trail: one row per change of an attempt (claim, serial, transition, noted error).
CREATE TABLE events(
  id          INTEGER PRIMARY KEY,
  attempt_id  INTEGER NOT NULL REFERENCES attempts(id),
  state       TEXT NOT NULL,
  at          TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_attempt ON events(attempt_id);
)sql";

// Schema 2: a reissue no longer overwrites the superseded attempt's finished_at (when it was
// verified) and each attempt keeps the record source (file:line) it was claimed from. Journals of
// schema 1 had finished_at overwritten with the supersede time: that time moves to superseded_at
// and finished_at is taken back from the attempt's 'verified' event. Attempts of schema 1 take the
// record's source at migration time (the only source schema 1 kept).
inline constexpr const char* migration_2 = R"sql(
ALTER TABLE attempts ADD COLUMN superseded_at TEXT;
ALTER TABLE attempts ADD COLUMN source TEXT NOT NULL DEFAULT '';

UPDATE attempts SET superseded_at = finished_at WHERE state = 'superseded';
UPDATE attempts
   SET finished_at = (SELECT max(e.at) FROM events e WHERE e.attempt_id = attempts.id AND e.state = 'verified')
 WHERE state = 'superseded'
   AND EXISTS (SELECT 1 FROM events e WHERE e.attempt_id = attempts.id AND e.state = 'verified');
UPDATE attempts SET source = (SELECT r.source FROM records r WHERE r.id = attempts.record_id);

-- Audit history is never rewritten: a finish time, a supersede time and an attempt's source, once
-- set, never change.
CREATE TRIGGER attempts_finished_fixed BEFORE UPDATE OF finished_at ON attempts
WHEN OLD.finished_at IS NOT NULL AND NEW.finished_at IS NOT OLD.finished_at
BEGIN
  SELECT RAISE(ABORT, 'journal rule: an attempt''s finish time never changes');
END;

CREATE TRIGGER attempts_superseded_fixed BEFORE UPDATE OF superseded_at ON attempts
WHEN OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS NOT OLD.superseded_at
BEGIN
  SELECT RAISE(ABORT, 'journal rule: an attempt''s supersede time never changes');
END;

CREATE TRIGGER attempts_source_fixed BEFORE UPDATE OF source ON attempts
WHEN OLD.source <> '' AND NEW.source IS NOT OLD.source
BEGIN
  SELECT RAISE(ABORT, 'journal rule: an attempt''s source never changes');
END;
)sql";

// Schema 3: the reference of the background check a record was cleared on (issue 10), kept with
// the record and copied into each attempt at claim time, so an audit ties every card to the check
// it was issued on. Journals of schema 2 have no reference: their rows keep ''.
inline constexpr const char* migration_3 = R"sql(
ALTER TABLE records ADD COLUMN background_check TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN background_check TEXT NOT NULL DEFAULT '';

CREATE TRIGGER attempts_background_check_fixed BEFORE UPDATE OF background_check ON attempts
WHEN OLD.background_check <> '' AND NEW.background_check IS NOT OLD.background_check
BEGIN
  SELECT RAISE(ABORT, 'journal rule: an attempt''s background check never changes');
END;
)sql";

inline constexpr std::array<const char*, 3> migrations{migration_1, migration_2, migration_3};

}  // namespace docketcard::journal::sqlite
