-- add_tenant_byoc_configs
CREATE TABLE IF NOT EXISTS tenant_byoc_configs (tenant_id bigint PRIMARY KEY, provider text NOT NULL, settings jsonb NOT NULL DEFAULT '{}');
