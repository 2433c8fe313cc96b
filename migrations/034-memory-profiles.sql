-- 034: named memory behaviours (which tiers, how long to keep, how much to
-- recall) and the profile each agent uses.
CREATE TABLE IF NOT EXISTS memory_profiles (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL: a built-in profile every workspace can use.
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  description  TEXT,
  settings     JSONB NOT NULL DEFAULT '{}',
  is_default   BOOLEAN NOT NULL DEFAULT false,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS memory_profiles_scope_name_idx
  ON memory_profiles (COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

CREATE TABLE IF NOT EXISTS agent_memory_profiles (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_config_id   UUID NOT NULL UNIQUE REFERENCES agent_configs (id) ON DELETE CASCADE,
  memory_profile_id UUID NOT NULL REFERENCES memory_profiles (id) ON DELETE CASCADE,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS agent_memory_profiles_memory_profile_id_idx ON agent_memory_profiles (memory_profile_id);
