-- 037: message visibility, for sharing a conversation beyond its workspace.
-- NOT NULL with a constant default: since PostgreSQL 11 this is a catalog-only
-- change (no table rewrite, no scan), even on a large messages table.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS visibility TEXT NOT NULL DEFAULT 'workspace';
