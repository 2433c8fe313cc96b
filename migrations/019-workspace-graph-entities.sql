-- 019: the team-scoped knowledge graph: entities shared by a workspace.
CREATE TABLE IF NOT EXISTS workspace_graph_entities (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  entity_type   TEXT NOT NULL,
  properties    JSONB NOT NULL DEFAULT '{}',
  mention_count INTEGER NOT NULL DEFAULT 1,
  created_by    UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, entity_type, name)
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
    RAISE NOTICE 'pgvector is not installed: workspace_graph_entities is created without an embedding column';
    RETURN;
  END IF;

  EXECUTE 'ALTER TABLE workspace_graph_entities ADD COLUMN IF NOT EXISTS embedding vector(1536)';

  IF EXISTS (SELECT 1 FROM pg_am WHERE amname = 'hnsw') THEN
    EXECUTE 'CREATE INDEX IF NOT EXISTS workspace_graph_entities_embedding_hnsw_idx ON workspace_graph_entities USING hnsw (embedding vector_cosine_ops)';
  ELSE
    RAISE NOTICE 'pgvector has no hnsw access method (older than 0.5.0): HNSW index skipped';
  END IF;
END
$$;
