-- add_autonomous_pipeline
CREATE TABLE IF NOT EXISTS autonomous_pipeline_runs (id bigserial PRIMARY KEY, incident_id bigint, state text NOT NULL);
