-- 020: async tool dispatch: a tool call runs in the background and the agent
-- polls its status.
CREATE TABLE IF NOT EXISTS tool_tasks (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  UUID REFERENCES sessions (id) ON DELETE CASCADE,
  user_id     UUID REFERENCES users (id) ON DELETE SET NULL,
  tool_name   TEXT NOT NULL,
  input       JSONB NOT NULL DEFAULT '{}',
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress    REAL CHECK (progress >= 0 AND progress <= 1),
  result      JSONB,
  error       TEXT,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at  TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  expires_at  TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS tool_tasks_session_id_created_at_idx ON tool_tasks (session_id, created_at DESC);
CREATE INDEX IF NOT EXISTS tool_tasks_open_idx ON tool_tasks (status, created_at) WHERE status IN ('queued', 'running');
