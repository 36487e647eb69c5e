-- Issue 13: a fenced patrol and bounded state.

-- The patrol lease, in PostgreSQL (it was a Redis key): one row, held by one patrol at a time.
-- token is the fencing token: one more at each new holder, never reset (a Redis counter restarts
-- at 0 when Redis loses its data). Every fenced unit of work (a cleanup batch, a replay of one
-- task, a retention batch) runs in a transaction that first locks this row FOR SHARE and checks
-- instance and token; a takeover updates the row, so it waits for the units in progress, and a
-- unit that starts after it finds another token and does nothing.
-- holder: the node id (CONVEYOR_NODE_ID), for operators and the CLI; instance: one run of it.
CREATE TABLE patrol_lease (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    holder     text        NOT NULL DEFAULT '',
    instance   text        NOT NULL DEFAULT '',
    token      bigint      NOT NULL,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
-- why: tokens go on growing from the Redis lease's, which task_audit.cleaned_by recorded
INSERT INTO patrol_lease (token) SELECT coalesce(max(cleaned_by), 0) FROM task_audit;

-- What a replay needs of a task whose runtime data patrol deleted (cleaned within its tolerance,
-- or released after it was held): every hash of the task as Redis held it. Taken only for tasks
-- with dead items, deleted with their last dead item (replay or retention).
CREATE TABLE task_snapshots (
    task_id  text        PRIMARY KEY,
    pipeline text        NOT NULL,
    data     jsonb       NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_snapshots_taken_at ON task_snapshots (taken_at);

-- Cleanup selects each loaded pipeline's tasks on their own, so that rows of a pipeline no patrol
-- loads can never fill a round's budget.
CREATE INDEX task_audit_to_clean_by_pipeline ON task_audit (pipeline, finished_at)
    WHERE cleaned_at IS NULL AND cleanup_held_at IS NULL;
-- Held tasks are released after CONVEYOR_HELD_RETENTION, oldest first.
CREATE INDEX task_audit_held ON task_audit (cleanup_held_at)
    WHERE cleaned_at IS NULL AND cleanup_held_at IS NOT NULL;
-- Retention deletes the oldest rows in batches.
CREATE INDEX dead_items_failed_at ON dead_items (failed_at);
CREATE INDEX rejected_messages_received_at ON rejected_messages (received_at);
