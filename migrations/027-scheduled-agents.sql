-- 027: cron jobs that run an agent, defined in the database.
CREATE TABLE IF NOT EXISTS scheduled_agents (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  agent_id        TEXT NOT NULL,
  name            TEXT NOT NULL,
  cron_expression TEXT NOT NULL,
  timezone        TEXT NOT NULL DEFAULT 'UTC',
  prompt          TEXT NOT NULL,
  delivery        JSONB NOT NULL DEFAULT '{}',
  enabled         BOOLEAN NOT NULL DEFAULT true,
  next_run_at     TIMESTAMPTZ,
  last_run_at     TIMESTAMPTZ,
  last_status     TEXT CHECK (last_status IN ('ok', 'failed', 'skipped')),
  created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS scheduled_agents_due_idx ON scheduled_agents (next_run_at) WHERE enabled;
CREATE INDEX IF NOT EXISTS scheduled_agents_workspace_id_idx ON scheduled_agents (workspace_id);
