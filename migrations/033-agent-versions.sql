-- 033: every saved version of an agent config, to show history and roll back.
CREATE TABLE IF NOT EXISTS agent_config_versions (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_config_id UUID NOT NULL REFERENCES agent_configs (id) ON DELETE CASCADE,
  version         INTEGER NOT NULL CHECK (version > 0),
  snapshot        JSONB NOT NULL,
  change_note     TEXT,
  created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (agent_config_id, version)
);
