-- 005: token and cost tracking: billing_usage (one row per model call) and
-- cost_snapshots (totals per period).

CREATE TABLE IF NOT EXISTS billing_usage (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       UUID REFERENCES users (id) ON DELETE SET NULL,
  session_id    UUID REFERENCES sessions (id) ON DELETE SET NULL,
  agent_id      TEXT,
  provider      TEXT NOT NULL,
  model         TEXT NOT NULL,
  input_tokens  BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  output_tokens BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  cost_usd      NUMERIC(14, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS billing_usage_workspace_id_created_at_idx ON billing_usage (workspace_id, created_at);
CREATE INDEX IF NOT EXISTS billing_usage_user_id_created_at_idx ON billing_usage (user_id, created_at);
CREATE INDEX IF NOT EXISTS billing_usage_session_id_idx ON billing_usage (session_id);

CREATE TABLE IF NOT EXISTS cost_snapshots (
  id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id        UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id             UUID REFERENCES users (id) ON DELETE CASCADE,
  granularity         TEXT NOT NULL DEFAULT 'day' CHECK (granularity IN ('hour', 'day', 'month')),
  period_start        TIMESTAMPTZ NOT NULL,
  period_end          TIMESTAMPTZ NOT NULL,
  total_input_tokens  BIGINT NOT NULL DEFAULT 0,
  total_output_tokens BIGINT NOT NULL DEFAULT 0,
  total_cost_usd      NUMERIC(14, 6) NOT NULL DEFAULT 0,
  breakdown           JSONB NOT NULL DEFAULT '{}',
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (period_end > period_start)
);

CREATE INDEX IF NOT EXISTS cost_snapshots_workspace_id_period_idx ON cost_snapshots (workspace_id, period_start);
CREATE INDEX IF NOT EXISTS cost_snapshots_user_id_period_idx ON cost_snapshots (user_id, period_start);
