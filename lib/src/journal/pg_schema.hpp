// The shared journal schema on PostgreSQL as migrations: migrations[i] takes schema version i to
// i + 1, applied by `docketcard journal --init` in one transaction. Never edit a released
// migration; append a new one (docs/journal.md, "The shared journal").
//
// Version 1 holds what SQLite schema 3 holds (batches, records, attempts, events, the same
// partial unique indexes and the same fixed-history rules as triggers) plus the station lease:
// batches.lease_expires (renewed by the station's heartbeat, never once past) and
// attempts.holder_batch (the batch whose lease covers the attempt: the fencing token every
// transition checks).
#pragma once

#include <array>

namespace docketcard::journal::pg {

inline constexpr const char* migration_1 = R"sql(
CREATE TABLE docketcard_schema(
  application TEXT NOT NULL CHECK (application = 'docketcard journal'),
  version     INTEGER NOT NULL
);
INSERT INTO docketcard_schema VALUES ('docketcard journal', 0);

-- Times are timestamptz; stations read them as UTC ISO 8601 with milliseconds.
CREATE FUNCTION dk_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE TABLE batches(
  id            BIGSERIAL PRIMARY KEY,
  station       TEXT NOT NULL,
  host          TEXT NOT NULL,
  input         TEXT NOT NULL,
  pid           BIGINT NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at      timestamptz,
  outcome       TEXT CHECK (outcome IN ('complete', 'incomplete', 'failed', 'interrupted')),
  lease_seconds INTEGER NOT NULL CHECK (lease_seconds > 0),
  lease_expires timestamptz NOT NULL
);
CREATE INDEX batches_open ON batches(station) WHERE ended_at IS NULL;

CREATE TABLE records(
  id               BIGSERIAL PRIMARY KEY,
  document_number  TEXT UNIQUE,
  source           TEXT NOT NULL,
  digest           TEXT NOT NULL CHECK (length(digest) = 64),
  state            TEXT NOT NULL CHECK (state IN ('pending', 'rejected')),
  problems         TEXT NOT NULL DEFAULT '',
  batch_id         BIGINT NOT NULL REFERENCES batches(id),
  registered_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  background_check TEXT NOT NULL DEFAULT '',
  CHECK (document_number IS NOT NULL OR state = 'rejected')
);
CREATE UNIQUE INDEX records_rejected_by_source ON records(source) WHERE document_number IS NULL;

CREATE TABLE attempts(
  id               BIGSERIAL PRIMARY KEY,
  record_id        BIGINT NOT NULL REFERENCES records(id),
  batch_id         BIGINT NOT NULL REFERENCES batches(id),
  holder_batch     BIGINT NOT NULL REFERENCES batches(id),
  station          TEXT NOT NULL,
  reader           TEXT NOT NULL,
  record_digest    TEXT NOT NULL,
  card_serial      TEXT,
  state            TEXT NOT NULL
                   CHECK (state IN ('writing', 'written', 'locked', 'verified', 'spoiled', 'superseded')),
  error            TEXT,
  superseded_by    BIGINT REFERENCES attempts(id),
  taken_over_by    BIGINT REFERENCES attempts(id),
  started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at      timestamptz,
  superseded_at    timestamptz,
  source           TEXT NOT NULL DEFAULT '',
  background_check TEXT NOT NULL DEFAULT '',
  CHECK (card_serial IS NOT NULL OR state IN ('writing', 'spoiled'))
);

-- Exactly once, enforced below the code, for every station: one verified (not superseded) card
-- per record, so per document number; at most one live attempt per record and per card.
CREATE UNIQUE INDEX attempts_one_verified_per_record ON attempts(record_id) WHERE state = 'verified';
CREATE UNIQUE INDEX attempts_one_live_per_record ON attempts(record_id)
  WHERE state IN ('writing', 'written', 'locked', 'verified');
CREATE UNIQUE INDEX attempts_one_live_per_card ON attempts(card_serial)
  WHERE card_serial IS NOT NULL AND state IN ('writing', 'written', 'locked', 'verified');
CREATE INDEX attempts_by_serial ON attempts(card_serial);
CREATE INDEX attempts_by_record ON attempts(record_id);
CREATE INDEX attempts_in_progress ON attempts(station) WHERE state IN ('writing', 'written', 'locked');

CREATE FUNCTION dk_attempts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state <> NEW.state AND NOT (
       (OLD.state = 'writing'  AND NEW.state IN ('written', 'spoiled'))
    OR (OLD.state = 'written'  AND NEW.state IN ('locked', 'spoiled'))
    OR (OLD.state = 'locked'   AND NEW.state IN ('verified', 'spoiled'))
    OR (OLD.state = 'verified' AND NEW.state = 'superseded')) THEN
    RAISE EXCEPTION 'journal rule: attempt state transition % -> % not allowed', OLD.state, NEW.state;
  END IF;
  IF OLD.card_serial IS NOT NULL AND NEW.card_serial IS DISTINCT FROM OLD.card_serial THEN
    RAISE EXCEPTION 'journal rule: a card serial never changes';
  END IF;
  IF OLD.finished_at IS NOT NULL AND NEW.finished_at IS DISTINCT FROM OLD.finished_at THEN
    RAISE EXCEPTION 'journal rule: an attempt''s finish time never changes';
  END IF;
  IF OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at THEN
    RAISE EXCEPTION 'journal rule: an attempt''s supersede time never changes';
  END IF;
  IF OLD.source <> '' AND NEW.source IS DISTINCT FROM OLD.source THEN
    RAISE EXCEPTION 'journal rule: an attempt''s source never changes';
  END IF;
  IF OLD.background_check <> '' AND NEW.background_check IS DISTINCT FROM OLD.background_check THEN
    RAISE EXCEPTION 'journal rule: an attempt''s background check never changes';
  END IF;
  IF NEW.record_id <> OLD.record_id OR NEW.batch_id <> OLD.batch_id OR NEW.station <> OLD.station THEN
    RAISE EXCEPTION 'journal rule: an attempt''s record, batch and station never change';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER attempts_rules BEFORE UPDATE ON attempts FOR EACH ROW EXECUTE FUNCTION dk_attempts_update();

CREATE FUNCTION dk_attempts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> 'writing' THEN
    RAISE EXCEPTION 'journal rule: an attempt starts in state writing';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER attempts_new_is_writing BEFORE INSERT ON attempts FOR EACH ROW EXECUTE FUNCTION dk_attempts_insert();

CREATE FUNCTION dk_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'journal rule: % are never deleted', TG_TABLE_NAME;
END $$;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts FOR EACH ROW EXECUTE FUNCTION dk_no_delete();
CREATE TRIGGER records_no_delete BEFORE DELETE ON records FOR EACH ROW EXECUTE FUNCTION dk_no_delete();

CREATE TABLE events(
  id          BIGSERIAL PRIMARY KEY,
  attempt_id  BIGINT NOT NULL REFERENCES attempts(id),
  state       TEXT NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_attempt ON events(attempt_id);
)sql";

inline constexpr std::array<const char*, 1> migrations{migration_1};

}  // namespace docketcard::journal::pg
