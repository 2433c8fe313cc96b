-- add_webhook_deliveries
CREATE TABLE IF NOT EXISTS webhook_deliveries (id bigserial PRIMARY KEY, url text NOT NULL, status_code integer);
