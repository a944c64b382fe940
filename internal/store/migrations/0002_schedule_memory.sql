-- What the scheduler applied, per schedule and resource, between runs:
-- schedule.Memory as JSON. Written only after the action succeeded.
CREATE TABLE schedule_memory (
    schedule TEXT NOT NULL,
    resource TEXT NOT NULL,
    memory   TEXT NOT NULL,
    updated  TEXT NOT NULL,
    PRIMARY KEY (schedule, resource)
);
