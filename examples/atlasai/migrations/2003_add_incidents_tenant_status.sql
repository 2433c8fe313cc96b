-- add_incidents_tenant_status
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS status text;
