-- 036: "my recent messages" across sessions scans messages today. An index on
-- (user_id, created_at) serves it.
--
-- Alone in its file on purpose: messages is the largest table, and the runner
-- builds an index on an existing table CONCURRENTLY, outside a transaction, so
-- reads and writes go on while it builds.
CREATE INDEX IF NOT EXISTS messages_user_id_created_at_idx ON messages (user_id, created_at DESC);
