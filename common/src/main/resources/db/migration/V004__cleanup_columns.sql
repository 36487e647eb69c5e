-- Patrol's cleanup: a task whose delivered rows or parts are below its pipeline's tolerance keeps
-- its runtime data and is marked here (reported once, never deleted silently); cleaned_by is the
-- fencing token of the patrol that cleaned the task.
ALTER TABLE task_audit ADD COLUMN cleanup_held_at timestamptz;
ALTER TABLE task_audit ADD COLUMN cleanup_detail text;
ALTER TABLE task_audit ADD COLUMN cleaned_by bigint;
CREATE INDEX task_audit_to_clean ON task_audit (finished_at)
    WHERE cleaned_at IS NULL AND cleanup_held_at IS NULL;
