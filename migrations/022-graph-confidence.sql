-- 022: a confidence score for knowledge-graph entities, and an index to find
-- the doubtful ones for review. The column has a constant default (no rewrite);
-- graph_entities already exists, so the runner builds the index CONCURRENTLY.
ALTER TABLE graph_entities ADD COLUMN IF NOT EXISTS confidence REAL NOT NULL DEFAULT 1.0;

CREATE INDEX IF NOT EXISTS graph_entities_low_confidence_idx ON graph_entities (user_id, confidence) WHERE confidence < 0.5;
