-- 001: bootstrap. The application's own record of the migration files it has run
-- (Open Astra's gateway writes to it). astra keeps its ledger in a separate table.
CREATE TABLE IF NOT EXISTS schema_migrations (
  filename    TEXT PRIMARY KEY,
  executed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
