-- The notices outbox: one row per item of a notification digest, written
-- as soon as the action it reports is over, and marked sent only after
-- the destination accepted the digest. A notice left unsent (a missing SNS
-- topic, a webhook answering 500, a process killed before it published) is
-- sent by the next run. claim_run is the run sending it now.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    dest_key    TEXT    NOT NULL,
    destination TEXT    NOT NULL DEFAULT '{}',
    item        TEXT    NOT NULL,
    created     TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    claim_run   INTEGER,
    sent_at     TEXT
);
CREATE INDEX notices_unsent ON notices (dest_key) WHERE sent_at IS NULL;
