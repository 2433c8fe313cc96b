-- 016: context files of a workspace (AGENTS.md, SOUL.md, ...) that the gateway
-- hot-reloads when their content hash changes.
CREATE TABLE IF NOT EXISTS workspace_files (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  kind         TEXT NOT NULL DEFAULT 'context',
  content      TEXT,
  content_hash TEXT NOT NULL,
  size_bytes   BIGINT NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  loaded_at    TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, path)
);
