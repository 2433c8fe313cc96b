-- control_system_config
CREATE TABLE IF NOT EXISTS system_config (key text PRIMARY KEY, value jsonb NOT NULL);
