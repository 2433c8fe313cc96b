-- 021: per-skill invocation counts and latency, in time buckets.
CREATE TABLE IF NOT EXISTS skill_metrics (
  id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  skill_name       TEXT NOT NULL,
  agent_id         TEXT,
  bucket_start     TIMESTAMPTZ NOT NULL,
  invocations      INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0,
  total_latency_ms BIGINT NOT NULL DEFAULT 0,
  max_latency_ms   INTEGER NOT NULL DEFAULT 0,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS skill_metrics_bucket_idx ON skill_metrics (
  COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid),
  skill_name,
  COALESCE(agent_id, ''),
  bucket_start
);
