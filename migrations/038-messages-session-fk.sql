-- 038: messages.session_id gets its foreign key to sessions, in two steps.
-- Here it is added NOT VALID: checked for new and updated rows from now on,
-- without scanning the existing ones, so the locks last only a moment.
-- 040 (0.10.0) cleans up orphans and validates it.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conrelid = 'messages'::regclass AND conname = 'messages_session_id_fkey'
  ) THEN
    ALTER TABLE messages
      ADD CONSTRAINT messages_session_id_fkey
      FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE SET NULL
      NOT VALID;
  END IF;
END
$$;
