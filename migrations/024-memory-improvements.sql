-- 024: an embedding cache keyed by the SHA-256 of (model, text), so the same
-- text is never embedded twice, and an index on daily_memory.workspace_id.
-- daily_memory already exists, so the runner builds that index CONCURRENTLY.

CREATE TABLE IF NOT EXISTS embedding_cache (
  content_hash TEXT PRIMARY KEY CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  model        TEXT NOT NULL,
  dimensions   INTEGER NOT NULL CHECK (dimensions > 0),
  hit_count    BIGINT NOT NULL DEFAULT 0,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS embedding_cache_last_used_at_idx ON embedding_cache (last_used_at);

CREATE INDEX IF NOT EXISTS daily_memory_workspace_id_idx ON daily_memory (workspace_id);

-- The cached vector itself needs pgvector (no index: the cache is read by hash).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      EXECUTE 'CREATE EXTENSION IF NOT EXISTS vector';
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pgvector is available but this role may not create it; ask a superuser to run CREATE EXTENSION vector';
    END;
  END IF;

  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    EXECUTE 'ALTER TABLE embedding_cache ADD COLUMN IF NOT EXISTS embedding vector(1536)';
  ELSE
    RAISE NOTICE 'pgvector is not installed: embedding_cache is created without its embedding column';
  END IF;
END
$$;
