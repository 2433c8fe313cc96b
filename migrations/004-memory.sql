-- 004: memory tiers 2-5: daily_memory, user_profiles, user_notes, procedural_memory.
-- The embedding columns and their HNSW indexes need pgvector, which is optional:
-- the DO block at the end adds them only where the extension `vector` exists.

CREATE TABLE IF NOT EXISTS daily_memory (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  memory_date  DATE NOT NULL DEFAULT CURRENT_DATE,
  summary      TEXT NOT NULL,
  details      JSONB NOT NULL DEFAULT '{}',
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS daily_memory_user_id_date_idx ON daily_memory (user_id, memory_date DESC);

CREATE TABLE IF NOT EXISTS user_profiles (
  id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             UUID NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  facts               JSONB NOT NULL DEFAULT '{}',
  preferences         JSONB NOT NULL DEFAULT '{}',
  communication_style TEXT,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS user_notes (
  id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title      TEXT,
  content    TEXT NOT NULL,
  tags       TEXT[] NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS user_notes_user_id_created_at_idx ON user_notes (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS user_notes_tags_idx ON user_notes USING gin (tags);

CREATE TABLE IF NOT EXISTS procedural_memory (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  description   TEXT,
  content       TEXT NOT NULL,
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  last_used_at  TIMESTAMPTZ,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (user_id, name)
);

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

  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    RAISE NOTICE 'pgvector is not installed: memory tables are created without embedding columns';
    RETURN;
  END IF;

  EXECUTE 'ALTER TABLE daily_memory ADD COLUMN IF NOT EXISTS embedding vector(1536)';
  EXECUTE 'ALTER TABLE user_notes ADD COLUMN IF NOT EXISTS embedding vector(1536)';
  EXECUTE 'ALTER TABLE procedural_memory ADD COLUMN IF NOT EXISTS embedding vector(1536)';

  -- HNSW needs pgvector 0.5.0 or later.
  IF EXISTS (SELECT 1 FROM pg_am WHERE amname = 'hnsw') THEN
    EXECUTE 'CREATE INDEX IF NOT EXISTS daily_memory_embedding_hnsw_idx ON daily_memory USING hnsw (embedding vector_cosine_ops)';
    EXECUTE 'CREATE INDEX IF NOT EXISTS user_notes_embedding_hnsw_idx ON user_notes USING hnsw (embedding vector_cosine_ops)';
    EXECUTE 'CREATE INDEX IF NOT EXISTS procedural_memory_embedding_hnsw_idx ON procedural_memory USING hnsw (embedding vector_cosine_ops)';
  ELSE
    RAISE NOTICE 'pgvector has no hnsw access method (older than 0.5.0): HNSW indexes skipped';
  END IF;
END
$$;
