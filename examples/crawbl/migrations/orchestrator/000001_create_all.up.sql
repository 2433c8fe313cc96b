-- 000001_create_all: every object lands in the orchestrator schema, first on the search path.
CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS workspaces (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_id uuid NOT NULL REFERENCES users (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS agents (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid NOT NULL REFERENCES workspaces (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), agent_id uuid NOT NULL REFERENCES agents (id));
CREATE TABLE IF NOT EXISTS messages (id bigserial PRIMARY KEY, conversation_id uuid NOT NULL REFERENCES conversations (id), body text NOT NULL);
