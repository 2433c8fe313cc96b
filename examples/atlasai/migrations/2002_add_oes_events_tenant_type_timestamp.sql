-- add_oes_events_tenant_type_timestamp
CREATE INDEX IF NOT EXISTS oes_events_tenant_type_timestamp ON oes_events (tenant_id, type, occurred_at);
