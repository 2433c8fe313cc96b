-- 028: a workspace may restrict the providers and models its agents use.
-- NULL means no restriction. Nullable columns: metadata-only change.
ALTER TABLE workspaces
  ADD COLUMN IF NOT EXISTS allowed_providers TEXT[],
  ADD COLUMN IF NOT EXISTS allowed_models    TEXT[];
