-- add_gin_index_log_entries
CREATE INDEX IF NOT EXISTS log_entries_message_search ON log_entries USING gin (to_tsvector('simple', message));
