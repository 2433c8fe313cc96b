-- control_oauth_signup
CREATE TABLE IF NOT EXISTS oauth_codes (code text PRIMARY KEY, client_id text NOT NULL, expires_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS signup_leads (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS billing_invoices (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, amount_cents bigint NOT NULL);
