-- 039: API keys move out of users.api_key (plain text) into api_keys, which
-- stores only a SHA-256 hash and a short prefix to recognise a key by.
-- Existing keys are copied; users.api_key is deprecated and dropped in 0.10.0 (041).

CREATE TABLE IF NOT EXISTS api_keys (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT NOT NULL DEFAULT 'default',
  key_hash     TEXT NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  prefix       TEXT NOT NULL,
  last_used_at TIMESTAMPTZ,
  expires_at   TIMESTAMPTZ,
  revoked_at   TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS api_keys_user_id_idx ON api_keys (user_id);

-- Dynamic SQL: after 041 the column is gone, and re-running this file must still work.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'api_key' AND NOT attisdropped
  ) THEN
    EXECUTE $sql$
      INSERT INTO api_keys (user_id, name, key_hash, prefix)
      SELECT id, 'migrated from users.api_key', encode(sha256(convert_to(api_key, 'UTF8')), 'hex'), left(api_key, 8)
      FROM users
      WHERE api_key IS NOT NULL
      ON CONFLICT (key_hash) DO NOTHING
    $sql$;
    EXECUTE $sql$COMMENT ON COLUMN users.api_key IS 'Deprecated since 0.9.0: use api_keys. Dropped in 0.10.0.'$sql$;
  END IF;
END
$$;
