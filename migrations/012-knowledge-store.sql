-- 012: the durable key-value knowledge base, scoped to a user, a workspace, or both.
CREATE TABLE IF NOT EXISTS knowledge_store (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  namespace    TEXT NOT NULL DEFAULT 'default',
  key          TEXT NOT NULL,
  value        JSONB NOT NULL,
  expires_at   TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS knowledge_store_scope_key_idx ON knowledge_store (
  COALESCE(user_id, '00000000-0000-0000-0000-000000000000'::uuid),
  COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid),
  namespace,
  key
);
CREATE INDEX IF NOT EXISTS knowledge_store_expires_at_idx ON knowledge_store (expires_at) WHERE expires_at IS NOT NULL;
