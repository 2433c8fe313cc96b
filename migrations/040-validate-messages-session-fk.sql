-- 040: validate the foreign key that 038 added NOT VALID.
-- Messages whose session was deleted before 038 (orphans) would fail the
-- check; they keep their content and lose only the dangling session_id, as
-- ON DELETE SET NULL would have done. VALIDATE CONSTRAINT scans messages under
-- a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_constraint
    WHERE conrelid = 'messages'::regclass AND conname = 'messages_session_id_fkey' AND NOT convalidated
  ) THEN
    UPDATE messages AS m
    SET session_id = NULL
    WHERE m.session_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.id = m.session_id);

    ALTER TABLE messages VALIDATE CONSTRAINT messages_session_id_fkey;
  END IF;
END
$$;
