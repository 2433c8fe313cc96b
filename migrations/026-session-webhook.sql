-- 026: per-session output delivery: when set, the gateway POSTs each agent
-- reply of the session to this URL. Nullable columns: metadata-only change.
ALTER TABLE sessions
  ADD COLUMN IF NOT EXISTS webhook_url    TEXT,
  ADD COLUMN IF NOT EXISTS webhook_secret TEXT;
