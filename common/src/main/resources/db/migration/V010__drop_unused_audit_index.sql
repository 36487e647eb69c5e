-- task_audit_not_cleaned (finished_at WHERE cleaned_at IS NULL) serves no query: cleanup finds
-- its rows by task_audit_to_clean and task_audit_to_clean_by_pipeline, marks them by the primary
-- key. Every audit row written and every row cleaned paid for its upkeep.
DROP INDEX IF EXISTS task_audit_not_cleaned;
