-- tenant_org_teams_itsm_governance
CREATE TABLE IF NOT EXISTS organizations (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE IF NOT EXISTS teams (id bigserial PRIMARY KEY, organization_id bigint NOT NULL REFERENCES organizations (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS oes_events (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, type text NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS incidents (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, title text NOT NULL);
CREATE TABLE IF NOT EXISTS automation_jobs (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE IF NOT EXISTS log_entries (id bigserial PRIMARY KEY, message text NOT NULL);
