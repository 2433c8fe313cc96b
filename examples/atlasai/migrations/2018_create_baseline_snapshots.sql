-- create_baseline_snapshots
CREATE TABLE IF NOT EXISTS baseline_snapshots (id bigserial PRIMARY KEY, host_id bigint NOT NULL, taken_at timestamptz NOT NULL DEFAULT now(), facts jsonb NOT NULL);
