-- sagesaver store, schema version 1.
-- Times are UTC text in one fixed-width format (see store.go, timeFormat),
-- so that they sort and compare as strings. Money is exact decimal text
-- (pricing.Money.Plain), NULL where the amount is unknown.

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started     TEXT    NOT NULL,
    finished    TEXT,
    command     TEXT    NOT NULL,
    dry_run     INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    os_user     TEXT    NOT NULL,
    caller_arn  TEXT    NOT NULL DEFAULT '',
    policy_file TEXT    NOT NULL DEFAULT '',
    policy_hash TEXT    NOT NULL DEFAULT '',
    pid         INTEGER NOT NULL,
    host        TEXT    NOT NULL,
    heartbeat   TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'finished', 'failed', 'abandoned')),
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE findings (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    resource         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    rule             TEXT    NOT NULL DEFAULT '',
    verdict          TEXT    NOT NULL,
    action           TEXT    NOT NULL DEFAULT '',
    evidence         TEXT    NOT NULL DEFAULT '',
    monthly          TEXT,
    monthly_estimate INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX findings_run ON findings (run_id);

-- First time a resource was seen idle and the last time it still was; the
-- row is deleted when the resource is seen active.
CREATE TABLE idle_since (
    resource   TEXT PRIMARY KEY,
    first_idle TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

-- The audit log. An action is written as 'started' before the AWS call
-- and updated to ok/failed after it, so a run killed in between leaves a
-- 'started' row that the next run reports.
CREATE TABLE actions (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    started       TEXT    NOT NULL,
    finished      TEXT,
    actor         TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    result        TEXT    NOT NULL CHECK (result IN ('started', 'ok', 'failed', 'skipped')),
    error         TEXT    NOT NULL DEFAULT '',
    monthly_saved TEXT,
    details       TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX actions_run ON actions (run_id);
CREATE INDEX actions_resource ON actions (resource);
CREATE INDEX actions_result ON actions (result);

-- What re-creating a deleted endpoint needs.
CREATE TABLE endpoint_snapshots (
    id            INTEGER PRIMARY KEY,
    action_id     INTEGER REFERENCES actions (id),
    account       TEXT NOT NULL,
    region        TEXT NOT NULL,
    endpoint_name TEXT NOT NULL,
    config_name   TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '{}',
    scaling       TEXT NOT NULL DEFAULT '{}',
    taken_at      TEXT NOT NULL,
    restored_at   TEXT
);
CREATE INDEX endpoint_snapshots_name ON endpoint_snapshots (account, region, endpoint_name);

-- Savings ledger: a period saves hourly $ from from_at until until_at
-- (NULL while it still saves). At most one open period per resource.
CREATE TABLE savings (
    id        INTEGER PRIMARY KEY,
    resource  TEXT    NOT NULL,
    action_id INTEGER REFERENCES actions (id),
    hourly    TEXT    NOT NULL,
    from_at   TEXT    NOT NULL,
    until_at  TEXT,
    CHECK (until_at IS NULL OR until_at >= from_at)
);
CREATE UNIQUE INDEX savings_open ON savings (resource) WHERE until_at IS NULL;

-- Warn-then-act marks.
CREATE TABLE marks (
    resource  TEXT NOT NULL,
    rule      TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    act_after TEXT NOT NULL,
    run_id    INTEGER REFERENCES runs (id),
    PRIMARY KEY (resource, rule)
);

-- Per-resource claims: at most one run acts on a resource at a time. A
-- claim is a lease: expires_at is pushed forward by the holder's heartbeat.
CREATE TABLE claims (
    resource   TEXT PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    action     TEXT    NOT NULL,
    claimed_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX claims_run ON claims (run_id);
