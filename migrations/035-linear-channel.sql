-- 035: the Linear channel: which agent picks up an issue with a given label,
-- and the webhook events Linear sent (deduplicated by their delivery id).

CREATE TABLE IF NOT EXISTS linear_label_agent_mappings (
  id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  linear_team_id TEXT,
  label_id       TEXT,
  label_name     TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS linear_label_agent_mappings_label_idx
  ON linear_label_agent_mappings (workspace_id, COALESCE(linear_team_id, ''), lower(label_name));

CREATE TABLE IF NOT EXISTS linear_webhook_events (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  delivery_id  TEXT NOT NULL UNIQUE,
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  event_type   TEXT NOT NULL,
  action       TEXT,
  payload      JSONB NOT NULL,
  status       TEXT NOT NULL DEFAULT 'received'
               CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
  error        TEXT,
  received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS linear_webhook_events_status_received_at_idx ON linear_webhook_events (status, received_at);
