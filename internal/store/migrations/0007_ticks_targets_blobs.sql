-- Unattended runs (issue #14). A tick is a run with the scheduled time it
-- works for (runs.tick, NULL for a run typed by a person); the first run
-- to claim a time holds it for ever (tick_claims, one row per time, the
-- time to the second as its key). Each target (account x region) a tick
-- worked on has one result row, replaced as the tick goes on. Blobs are
-- opaque values (the inventory cache, endpoint evidence, dismissals) under
-- a kind and a key.
ALTER TABLE runs ADD COLUMN tick TEXT;

CREATE TABLE tick_claims (
    tick       TEXT    PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    claimed_at TEXT    NOT NULL
);

CREATE TABLE target_results (
    run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account           TEXT    NOT NULL,
    region            TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    started           TEXT    NOT NULL,
    finished          TEXT    NOT NULL,
    error             TEXT    NOT NULL DEFAULT '',
    counts            TEXT    NOT NULL DEFAULT '{}',
    calls             TEXT    NOT NULL DEFAULT '{}',
    metrics_requested INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, account, region)
);

CREATE TABLE blobs (
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    put_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
