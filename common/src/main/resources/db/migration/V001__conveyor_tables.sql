-- Conveyor's own tables in schema "conveyor" (Flyway creates the schema and sets it as search_path).
-- Columns named in DESIGN.md are a contract with other programs; more columns are welcome.

-- One row per finished task (every part delivered or dead); patrol sets cleaned_at when it has
-- deleted the task's runtime data from Redis. It is also the dedup memory after cleanup.
CREATE TABLE task_audit (
    task_id          text        PRIMARY KEY,
    pipeline         text        NOT NULL,
    pipeline_version int         NOT NULL,
    outcome          text        NOT NULL CHECK (outcome IN ('delivered', 'partial', 'failed')),
    parts            int         NOT NULL CHECK (parts >= 0),
    failed_parts     int         NOT NULL DEFAULT 0 CHECK (failed_parts >= 0),
    rows_delivered   bigint      NOT NULL DEFAULT 0,
    stream_id        text,
    received_at      timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL DEFAULT now(),
    cleaned_at       timestamptz
);
CREATE INDEX task_audit_finished_at ON task_audit (finished_at);
CREATE INDEX task_audit_not_cleaned ON task_audit (finished_at) WHERE cleaned_at IS NULL;

-- Everything a producer sent that could not be accepted, stored whole with the reason.
-- One row per inbox entry: a second pass over the same entry after a crash stores nothing twice.
CREATE TABLE rejected_messages (
    id          bigserial   PRIMARY KEY,
    stream_id   text        NOT NULL UNIQUE,
    reason      text        NOT NULL,
    detail      text,
    fields      jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);
CREATE INDEX rejected_messages_reason ON rejected_messages (reason, received_at);

-- Items that exhausted their retries (or were stuck past max_redrives). part = -1 for a
-- task-scope step.
CREATE TABLE dead_items (
    id          bigserial   PRIMARY KEY,
    task_id     text        NOT NULL,
    pipeline    text        NOT NULL,
    part        int         NOT NULL,
    step        text        NOT NULL,
    attempts    int         NOT NULL,
    error       text        NOT NULL,
    payload     jsonb,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (task_id, part, step)
);
CREATE INDEX dead_items_step ON dead_items (pipeline, step, failed_at);

-- Results of the demo pipeline "ner". The primary key is the natural key: redelivery cannot
-- duplicate a row.
CREATE TABLE ner_entities (
    task_id      text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('company', 'person')),
    surface      text NOT NULL,
    start_offset int  NOT NULL,
    end_offset   int  NOT NULL,
    part         int  NOT NULL,
    PRIMARY KEY (task_id, kind, start_offset)
);
