-- tenant_integration_sync_config
CREATE TABLE IF NOT EXISTS integration_sync_configs (id bigserial PRIMARY KEY, integration text NOT NULL, every interval NOT NULL DEFAULT interval '1 hour');
