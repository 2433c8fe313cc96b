-- 030: reconcile workspace_secrets on databases that ran the superseded
-- 023-secrets.sql, whose table had (workspace_id, name, value). On databases
-- that ran 023-security-rbac.sql every statement here is a no-op.
--
-- Additive only: nullable columns or constant defaults, a copy of the legacy
-- names into `key`, and NOT NULL dropped from the legacy `name` and `value` so
-- that the gateway can write rows without them. Nothing is dropped, nothing set
-- NOT NULL (a scan under an exclusive lock).

ALTER TABLE workspace_secrets
  ADD COLUMN IF NOT EXISTS key             TEXT,
  ADD COLUMN IF NOT EXISTS ciphertext      BYTEA,
  ADD COLUMN IF NOT EXISTS nonce           BYTEA,
  ADD COLUMN IF NOT EXISTS key_version     INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS description     TEXT,
  ADD COLUMN IF NOT EXISTS created_by      UUID,
  ADD COLUMN IF NOT EXISTS updated_at      TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS last_rotated_at TIMESTAMPTZ;

DO $$
DECLARE
  legacy_column TEXT;
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = 'workspace_secrets'::regclass AND attname = 'name' AND NOT attisdropped
  ) THEN
    EXECUTE 'UPDATE workspace_secrets SET key = name WHERE key IS NULL';
  END IF;

  FOREACH legacy_column IN ARRAY ARRAY['name', 'value']
  LOOP
    IF EXISTS (
      SELECT 1 FROM pg_attribute
      WHERE attrelid = 'workspace_secrets'::regclass AND attname = legacy_column AND attnotnull AND NOT attisdropped
    ) THEN
      EXECUTE format('ALTER TABLE workspace_secrets ALTER COLUMN %I DROP NOT NULL', legacy_column);
    END IF;
  END LOOP;
END
$$;

-- On up-to-date databases this name is already taken by the index of 023's
-- UNIQUE constraint, so nothing happens; on legacy ones it adds the uniqueness
-- the gateway's upserts need (built CONCURRENTLY by the runner).
CREATE UNIQUE INDEX IF NOT EXISTS workspace_secrets_workspace_key_unique ON workspace_secrets (workspace_id, key);
