-- 018: long-term storage for messages moved out of `messages` by compaction.
-- Rows keep the id and created_at of the original message.
CREATE TABLE IF NOT EXISTS message_archive (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       UUID REFERENCES users (id) ON DELETE SET NULL,
  session_id    UUID REFERENCES sessions (id) ON DELETE SET NULL,
  agent_id      TEXT,
  role          TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content       TEXT NOT NULL,
  metadata      JSONB NOT NULL DEFAULT '{}',
  token_count   INTEGER,
  created_at    TIMESTAMPTZ NOT NULL,
  archived_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- The compaction summary that replaced this message in the live conversation.
  summary_id    UUID
);

CREATE INDEX IF NOT EXISTS message_archive_session_id_created_at_idx ON message_archive (session_id, created_at);
CREATE INDEX IF NOT EXISTS message_archive_workspace_id_archived_at_idx ON message_archive (workspace_id, archived_at);
