-- add_automation_jobs_columns
ALTER TABLE automation_jobs ADD COLUMN IF NOT EXISTS tenant_id bigint;
ALTER TABLE automation_jobs ADD COLUMN IF NOT EXISTS status text;
ALTER TABLE automation_jobs ADD COLUMN IF NOT EXISTS finished_at timestamptz;
