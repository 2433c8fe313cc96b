-- add_tenant_slug
CREATE TABLE IF NOT EXISTS tenants (id bigserial PRIMARY KEY, name text NOT NULL);
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS slug text;
