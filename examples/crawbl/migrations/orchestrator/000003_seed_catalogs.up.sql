-- 000003_seed_catalogs: every object lands in the orchestrator schema, first on the search path.
CREATE TABLE IF NOT EXISTS models (id text PRIMARY KEY, provider text NOT NULL, context_window integer NOT NULL);
CREATE TABLE IF NOT EXISTS tool_categories (id text PRIMARY KEY, title text NOT NULL);
