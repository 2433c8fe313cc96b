-- 013: advanced features: swarm planner, approval workflows, quotas, debate,
-- agent cloning, RAG, dream mode (memory consolidation into a knowledge graph)
-- and deep research. Every table is new; the embedding columns need pgvector
-- and are added by the DO block at the end only where it is installed.

-- Swarm planner: a goal split into tasks run by several agents.
CREATE TABLE IF NOT EXISTS swarm_plans (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id   UUID REFERENCES sessions (id) ON DELETE CASCADE,
  user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
  goal         TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'planning'
               CHECK (status IN ('planning', 'running', 'completed', 'failed', 'cancelled')),
  plan         JSONB NOT NULL DEFAULT '{}',
  result       JSONB,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS swarm_plans_session_id_idx ON swarm_plans (session_id);

CREATE TABLE IF NOT EXISTS swarm_tasks (
  id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id        UUID NOT NULL REFERENCES swarm_plans (id) ON DELETE CASCADE,
  parent_task_id UUID REFERENCES swarm_tasks (id) ON DELETE CASCADE,
  agent_id       TEXT,
  description    TEXT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
  depends_on     UUID[] NOT NULL DEFAULT '{}',
  output         JSONB,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at     TIMESTAMPTZ,
  finished_at    TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS swarm_tasks_plan_id_status_idx ON swarm_tasks (plan_id, status);

-- Approval workflows: an agent asks a person before a sensitive action.
CREATE TABLE IF NOT EXISTS approval_requests (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id   UUID REFERENCES sessions (id) ON DELETE SET NULL,
  user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
  agent_id     TEXT NOT NULL,
  action       TEXT NOT NULL,
  payload      JSONB NOT NULL DEFAULT '{}',
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  decided_by   UUID REFERENCES users (id) ON DELETE SET NULL,
  decided_at   TIMESTAMPTZ,
  expires_at   TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS approval_requests_pending_idx ON approval_requests (user_id, created_at) WHERE status = 'pending';

-- Quotas per workspace or per user.
CREATE TABLE IF NOT EXISTS usage_quotas (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
  period       TEXT NOT NULL DEFAULT 'month' CHECK (period IN ('day', 'month')),
  max_tokens   BIGINT CHECK (max_tokens >= 0),
  max_cost_usd NUMERIC(14, 6) CHECK (max_cost_usd >= 0),
  max_requests INTEGER CHECK (max_requests >= 0),
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (workspace_id IS NOT NULL OR user_id IS NOT NULL)
);

CREATE INDEX IF NOT EXISTS usage_quotas_workspace_id_idx ON usage_quotas (workspace_id);
CREATE INDEX IF NOT EXISTS usage_quotas_user_id_idx ON usage_quotas (user_id);

-- Debate: agents argue a topic over several rounds.
CREATE TABLE IF NOT EXISTS debates (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id   UUID REFERENCES sessions (id) ON DELETE CASCADE,
  topic        TEXT NOT NULL,
  participants TEXT[] NOT NULL,
  rounds       INTEGER NOT NULL DEFAULT 3 CHECK (rounds > 0),
  status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  verdict      TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS debate_turns (
  id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  debate_id  UUID NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
  round      INTEGER NOT NULL,
  agent_id   TEXT NOT NULL,
  content    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS debate_turns_debate_id_round_idx ON debate_turns (debate_id, round);

-- Cloning: an agent derived from another with overrides.
CREATE TABLE IF NOT EXISTS agent_clones (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  source_agent_id UUID NOT NULL REFERENCES agent_configs (id) ON DELETE CASCADE,
  clone_agent_id  UUID NOT NULL UNIQUE REFERENCES agent_configs (id) ON DELETE CASCADE,
  created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
  overrides       JSONB NOT NULL DEFAULT '{}',
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- RAG: ingested documents and their chunks.
CREATE TABLE IF NOT EXISTS rag_documents (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
  source_uri   TEXT,
  title        TEXT,
  content_hash TEXT NOT NULL,
  metadata     JSONB NOT NULL DEFAULT '{}',
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS rag_documents_workspace_id_idx ON rag_documents (workspace_id);
CREATE INDEX IF NOT EXISTS rag_documents_content_hash_idx ON rag_documents (content_hash);

CREATE TABLE IF NOT EXISTS rag_chunks (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id UUID NOT NULL REFERENCES rag_documents (id) ON DELETE CASCADE,
  chunk_index INTEGER NOT NULL,
  content     TEXT NOT NULL,
  token_count INTEGER,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (document_id, chunk_index)
);

-- Dream mode: offline runs that consolidate memories into the knowledge graph.
CREATE TABLE IF NOT EXISTS dream_runs (
  id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id               UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status                TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  memories_consolidated INTEGER NOT NULL DEFAULT 0,
  summary               TEXT,
  started_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at           TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS dream_runs_user_id_started_at_idx ON dream_runs (user_id, started_at DESC);

CREATE TABLE IF NOT EXISTS graph_entities (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  entity_type   TEXT NOT NULL,
  properties    JSONB NOT NULL DEFAULT '{}',
  mention_count INTEGER NOT NULL DEFAULT 1,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (user_id, entity_type, name)
);

CREATE TABLE IF NOT EXISTS graph_relations (
  id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  source_id  UUID NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
  target_id  UUID NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
  relation   TEXT NOT NULL,
  weight     REAL NOT NULL DEFAULT 1,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (source_id, target_id, relation)
);

CREATE INDEX IF NOT EXISTS graph_relations_target_id_idx ON graph_relations (target_id);

-- Deep research: multi-step research jobs and their reports.
CREATE TABLE IF NOT EXISTS research_tasks (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id   UUID REFERENCES sessions (id) ON DELETE SET NULL,
  question     TEXT NOT NULL,
  depth        INTEGER NOT NULL DEFAULT 2 CHECK (depth BETWEEN 1 AND 5),
  status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  sources      JSONB NOT NULL DEFAULT '[]',
  report       TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS research_tasks_user_id_created_at_idx ON research_tasks (user_id, created_at DESC);

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
    RAISE NOTICE 'pgvector is not installed: rag_chunks and graph_entities are created without embedding columns';
    RETURN;
  END IF;

  EXECUTE 'ALTER TABLE rag_chunks ADD COLUMN IF NOT EXISTS embedding vector(1536)';
  EXECUTE 'ALTER TABLE graph_entities ADD COLUMN IF NOT EXISTS embedding vector(1536)';

  IF EXISTS (SELECT 1 FROM pg_am WHERE amname = 'hnsw') THEN
    EXECUTE 'CREATE INDEX IF NOT EXISTS rag_chunks_embedding_hnsw_idx ON rag_chunks USING hnsw (embedding vector_cosine_ops)';
    EXECUTE 'CREATE INDEX IF NOT EXISTS graph_entities_embedding_hnsw_idx ON graph_entities USING hnsw (embedding vector_cosine_ops)';
  ELSE
    RAISE NOTICE 'pgvector has no hnsw access method (older than 0.5.0): HNSW indexes skipped';
  END IF;
END
$$;
