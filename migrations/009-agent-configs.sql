-- 009: agent definitions managed in the database rather than in files.
-- workspace_id NULL is an agent every workspace can use.
CREATE TABLE IF NOT EXISTS agent_configs (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  slug          TEXT NOT NULL,
  name          TEXT NOT NULL,
  description   TEXT,
  system_prompt TEXT NOT NULL DEFAULT '',
  provider      TEXT,
  model         TEXT,
  temperature   NUMERIC(3, 2) CHECK (temperature >= 0 AND temperature <= 2),
  tools         TEXT[] NOT NULL DEFAULT '{}',
  config        JSONB NOT NULL DEFAULT '{}',
  enabled       BOOLEAN NOT NULL DEFAULT true,
  version       INTEGER NOT NULL DEFAULT 1,
  created_by    UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One slug per workspace, and one among the global agents (NULL workspace).
CREATE UNIQUE INDEX IF NOT EXISTS agent_configs_workspace_slug_idx
  ON agent_configs (COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid), slug);
