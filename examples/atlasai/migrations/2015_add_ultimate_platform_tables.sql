-- add_ultimate_platform_tables
CREATE TABLE IF NOT EXISTS compliance_controls (id bigserial PRIMARY KEY, framework text NOT NULL, control text NOT NULL);
CREATE TABLE IF NOT EXISTS finops_costs (id bigserial PRIMARY KEY, day date NOT NULL, cents bigint NOT NULL);
