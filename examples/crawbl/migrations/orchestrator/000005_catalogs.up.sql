-- 000005_catalogs: the rest of the catalog tables the seed catalogs fill.
CREATE TABLE IF NOT EXISTS integration_categories (id text PRIMARY KEY, title text NOT NULL);
CREATE TABLE IF NOT EXISTS integration_providers (
  id text PRIMARY KEY,
  category_id text NOT NULL REFERENCES integration_categories (id),
  title text NOT NULL,
  oauth boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS usage_plans (id text PRIMARY KEY, title text NOT NULL, monthly_tokens bigint NOT NULL, price_cents integer NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tools (
  id text PRIMARY KEY,
  category_id text NOT NULL REFERENCES tool_categories (id),
  description text NOT NULL,
  parameters jsonb NOT NULL DEFAULT '{}'
);
