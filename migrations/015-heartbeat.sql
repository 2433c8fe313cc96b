-- 015: the heartbeat daemon: agents that wake on an interval (heartbeat_configs)
-- and a record of each wake-up (heartbeat_runs).

CREATE TABLE IF NOT EXISTS heartbeat_configs (
  id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  agent_id         TEXT NOT NULL,
  name             TEXT NOT NULL,
  interval_seconds INTEGER NOT NULL CHECK (interval_seconds >= 60),
  prompt           TEXT NOT NULL,
  enabled          BOOLEAN NOT NULL DEFAULT true,
  quiet_hours      JSONB,
  next_run_at      TIMESTAMPTZ,
  last_run_at      TIMESTAMPTZ,
  created_by       UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS heartbeat_configs_due_idx ON heartbeat_configs (next_run_at) WHERE enabled;

CREATE TABLE IF NOT EXISTS heartbeat_runs (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  config_id   UUID NOT NULL REFERENCES heartbeat_configs (id) ON DELETE CASCADE,
  status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
  output      TEXT,
  error       TEXT,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS heartbeat_runs_config_id_started_at_idx ON heartbeat_runs (config_id, started_at DESC);
