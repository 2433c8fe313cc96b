-- add_runbook_applicability
CREATE TABLE IF NOT EXISTS runbooks (id bigserial PRIMARY KEY, name text NOT NULL);
ALTER TABLE runbooks ADD COLUMN IF NOT EXISTS applicability jsonb;
