-- 000002_multi_agent: every object lands in the orchestrator schema, first on the search path.
CREATE TABLE IF NOT EXISTS agent_delegations (id bigserial PRIMARY KEY, from_agent uuid NOT NULL REFERENCES agents (id), to_agent uuid NOT NULL REFERENCES agents (id));
CREATE TABLE IF NOT EXISTS artifacts (id bigserial PRIMARY KEY, agent_id uuid NOT NULL REFERENCES agents (id), kind text NOT NULL);
