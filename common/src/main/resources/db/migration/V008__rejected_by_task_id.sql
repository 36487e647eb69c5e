-- GET /tasks/<id> finds the rejected message a producer sent with this id: by its `id` field, or
-- by its stream id when it gave none (the stream id is then its task id; stream_id is indexed by
-- rejected_messages_entry already). The table is bounded by CONVEYOR_REJECTED_RETENTION.
CREATE INDEX rejected_messages_task_id ON rejected_messages ((fields ->> 'id'));
