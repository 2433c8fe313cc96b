-- 007: audit_log, the record of sensitive operations (logins, key changes, agent
-- tool approvals). Rows outlive the user and workspace they mention.
CREATE TABLE IF NOT EXISTS audit_log (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID REFERENCES workspaces (id) ON DELETE SET NULL,
  actor_id     UUID REFERENCES users (id) ON DELETE SET NULL,
  action       TEXT NOT NULL,
  target_type  TEXT,
  target_id    TEXT,
  details      JSONB NOT NULL DEFAULT '{}',
  ip_address   INET,
  user_agent   TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS audit_log_workspace_id_created_at_idx ON audit_log (workspace_id, created_at DESC);
CREATE INDEX IF NOT EXISTS audit_log_actor_id_created_at_idx ON audit_log (actor_id, created_at DESC);
CREATE INDEX IF NOT EXISTS audit_log_action_idx ON audit_log (action);
