-- 003: conversation sessions, one per surface (web, cli, telegram, slack, api, ...).
CREATE TABLE IF NOT EXISTS sessions (
  id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          UUID REFERENCES users (id) ON DELETE CASCADE,
  workspace_id     UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  agent_id         TEXT NOT NULL DEFAULT 'default',
  surface          TEXT NOT NULL DEFAULT 'api',
  status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'idle', 'closed', 'archived')),
  title            TEXT,
  metadata         JSONB NOT NULL DEFAULT '{}',
  message_count    INTEGER NOT NULL DEFAULT 0,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS sessions_user_id_last_activity_idx ON sessions (user_id, last_activity_at DESC);
CREATE INDEX IF NOT EXISTS sessions_workspace_id_idx ON sessions (workspace_id);
CREATE INDEX IF NOT EXISTS sessions_open_status_idx ON sessions (status) WHERE status <> 'closed';
