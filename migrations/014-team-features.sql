-- 014: team features, all scoped to a workspace: shared memory, shared
-- knowledge, the codebase index, diagnostics and cost totals. Every table is
-- new; embeddings need pgvector (DO block at the end).

CREATE TABLE IF NOT EXISTS workspace_memory (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  author_id    UUID REFERENCES users (id) ON DELETE SET NULL,
  kind         TEXT NOT NULL DEFAULT 'fact',
  content      TEXT NOT NULL,
  metadata     JSONB NOT NULL DEFAULT '{}',
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS workspace_memory_workspace_id_created_at_idx ON workspace_memory (workspace_id, created_at DESC);

CREATE TABLE IF NOT EXISTS workspace_knowledge (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  namespace    TEXT NOT NULL DEFAULT 'default',
  key          TEXT NOT NULL,
  value        JSONB NOT NULL,
  updated_by   UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, namespace, key)
);

-- The codebase index: one row per indexed file, its chunks below.
CREATE TABLE IF NOT EXISTS codebase_index (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  repository   TEXT NOT NULL,
  file_path    TEXT NOT NULL,
  language     TEXT,
  content_hash TEXT NOT NULL,
  symbols      JSONB NOT NULL DEFAULT '[]',
  indexed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, repository, file_path)
);

CREATE TABLE IF NOT EXISTS codebase_chunks (
  id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  file_id    UUID NOT NULL REFERENCES codebase_index (id) ON DELETE CASCADE,
  start_line INTEGER NOT NULL,
  end_line   INTEGER NOT NULL,
  content    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (end_line >= start_line)
);

CREATE INDEX IF NOT EXISTS codebase_chunks_file_id_idx ON codebase_chunks (file_id);

CREATE TABLE IF NOT EXISTS workspace_diagnostics (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  check_name   TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'fail')),
  details      JSONB NOT NULL DEFAULT '{}',
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS workspace_diagnostics_workspace_id_created_at_idx ON workspace_diagnostics (workspace_id, created_at DESC);

CREATE TABLE IF NOT EXISTS workspace_costs (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  period_start  DATE NOT NULL,
  provider      TEXT NOT NULL,
  model         TEXT NOT NULL,
  input_tokens  BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd      NUMERIC(14, 6) NOT NULL DEFAULT 0,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, period_start, provider, model)
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
    RAISE NOTICE 'pgvector is not installed: workspace_memory and codebase_chunks are created without embedding columns';
    RETURN;
  END IF;

  EXECUTE 'ALTER TABLE workspace_memory ADD COLUMN IF NOT EXISTS embedding vector(1536)';
  EXECUTE 'ALTER TABLE codebase_chunks ADD COLUMN IF NOT EXISTS embedding vector(1536)';

  IF EXISTS (SELECT 1 FROM pg_am WHERE amname = 'hnsw') THEN
    EXECUTE 'CREATE INDEX IF NOT EXISTS workspace_memory_embedding_hnsw_idx ON workspace_memory USING hnsw (embedding vector_cosine_ops)';
    EXECUTE 'CREATE INDEX IF NOT EXISTS codebase_chunks_embedding_hnsw_idx ON codebase_chunks USING hnsw (embedding vector_cosine_ops)';
  ELSE
    RAISE NOTICE 'pgvector has no hnsw access method (older than 0.5.0): HNSW indexes skipped';
  END IF;
END
$$;
