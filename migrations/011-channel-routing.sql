-- 011: routes a chat on a channel (telegram, slack, discord, ...) to one agent.
CREATE TABLE IF NOT EXISTS channel_routing (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  channel         TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  agent_id        TEXT NOT NULL,
  agent_config_id UUID REFERENCES agent_configs (id) ON DELETE SET NULL,
  created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (channel, chat_id)
);

CREATE INDEX IF NOT EXISTS channel_routing_workspace_id_idx ON channel_routing (workspace_id);
