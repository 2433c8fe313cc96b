-- 017: the result of every tool call, per session.
CREATE TABLE IF NOT EXISTS tool_outputs (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  -- No foreign key to messages: that would lock the busiest table to create this one.
  message_id  UUID,
  agent_id    TEXT,
  tool_name   TEXT NOT NULL,
  call_id     TEXT,
  input       JSONB NOT NULL DEFAULT '{}',
  output      JSONB,
  is_error    BOOLEAN NOT NULL DEFAULT false,
  duration_ms INTEGER CHECK (duration_ms >= 0),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS tool_outputs_session_id_created_at_idx ON tool_outputs (session_id, created_at);
CREATE INDEX IF NOT EXISTS tool_outputs_tool_name_idx ON tool_outputs (tool_name);
