-- 010: procedural memory learns typed, triggerable procedures.
-- Nullable columns and constant defaults only: no table rewrite, no scan.
ALTER TABLE procedural_memory
  ADD COLUMN IF NOT EXISTS type            TEXT NOT NULL DEFAULT 'workflow',
  ADD COLUMN IF NOT EXISTS trigger_pattern TEXT,
  ADD COLUMN IF NOT EXISTS steps           JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN IF NOT EXISTS tags            TEXT[] NOT NULL DEFAULT '{}';
