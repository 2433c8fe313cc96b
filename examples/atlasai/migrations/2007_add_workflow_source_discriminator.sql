-- add_workflow_source_discriminator
CREATE TABLE IF NOT EXISTS workflows (id bigserial PRIMARY KEY, name text NOT NULL);
ALTER TABLE workflows ADD COLUMN IF NOT EXISTS source text;
