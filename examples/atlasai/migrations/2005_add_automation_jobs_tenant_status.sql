-- add_automation_jobs_tenant_status
CREATE INDEX IF NOT EXISTS automation_jobs_tenant_status ON automation_jobs (tenant_id, status);
