-- 031: trace records for the trace viewer: one row per step of an agent run
-- (model call, tool call, hand-off, ...), nested through parent_trace_id.
CREATE TABLE IF NOT EXISTS agent_traces (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id      UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  agent_id        TEXT NOT NULL,
  parent_trace_id UUID REFERENCES agent_traces (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind IN ('run', 'llm_call', 'tool_call', 'handoff', 'memory', 'error')),
  name            TEXT,
  status          TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('running', 'ok', 'error')),
  input           JSONB,
  output          JSONB,
  input_tokens    INTEGER,
  output_tokens   INTEGER,
  cost_usd        NUMERIC(14, 6),
  duration_ms     INTEGER,
  started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at        TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS agent_traces_session_id_started_at_idx ON agent_traces (session_id, started_at);
CREATE INDEX IF NOT EXISTS agent_traces_agent_id_started_at_idx ON agent_traces (agent_id, started_at DESC);
CREATE INDEX IF NOT EXISTS agent_traces_parent_trace_id_idx ON agent_traces (parent_trace_id);
