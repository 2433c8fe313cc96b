-- control_subscriptions
CREATE TABLE IF NOT EXISTS subscriptions (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, status text NOT NULL DEFAULT 'trial', renews_at timestamptz);
