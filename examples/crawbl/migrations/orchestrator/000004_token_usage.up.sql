-- 000004_token_usage: every object lands in the orchestrator schema, first on the search path.
CREATE TABLE IF NOT EXISTS usage_counters (workspace_id uuid NOT NULL REFERENCES workspaces (id), day date NOT NULL, tokens bigint NOT NULL DEFAULT 0, PRIMARY KEY (workspace_id, day));
