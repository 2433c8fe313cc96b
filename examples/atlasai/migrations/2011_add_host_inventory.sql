-- add_host_inventory
CREATE TABLE IF NOT EXISTS host_inventory (id bigserial PRIMARY KEY, hostname text NOT NULL, facts jsonb NOT NULL DEFAULT '{}');
