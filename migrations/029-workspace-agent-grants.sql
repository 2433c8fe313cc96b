-- 029: share an agent of one workspace with another.
CREATE TABLE IF NOT EXISTS workspace_agent_grants (
  id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_config_id      UUID NOT NULL REFERENCES agent_configs (id) ON DELETE CASCADE,
  owner_workspace_id   UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  grantee_workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  permission           TEXT NOT NULL DEFAULT 'use' CHECK (permission IN ('use', 'manage')),
  granted_by           UUID REFERENCES users (id) ON DELETE SET NULL,
  expires_at           TIMESTAMPTZ,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (agent_config_id, grantee_workspace_id),
  CHECK (owner_workspace_id <> grantee_workspace_id)
);

CREATE INDEX IF NOT EXISTS workspace_agent_grants_grantee_idx ON workspace_agent_grants (grantee_workspace_id);
