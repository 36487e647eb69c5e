-- A rejected inbox entry is identified by its stream id AND a SHA-256 of its fields (names and
-- values as received): stream ids repeat once the inbox stream is deleted and created again, or when
-- a producer gives explicit ids, and such a different entry must get its own row; a second pass over
-- the same entry after a crash still stores one. Rows stored before this version have no hash.
ALTER TABLE rejected_messages ADD COLUMN entry_sha256 text;
ALTER TABLE rejected_messages DROP CONSTRAINT rejected_messages_stream_id_key;
CREATE UNIQUE INDEX rejected_messages_entry ON rejected_messages (stream_id, entry_sha256);
