-- 025: optional IVFFlat indexes beside the HNSW ones, for deployments with
-- millions of memory rows (faster to build, less memory, lower recall).
--
-- Where pgvector is not installed this changes nothing. Where it is, each index
-- is built inside this DO block, so NOT concurrently: writes to the table wait
-- until its build ends. The release notes mark this migration breaking.
DO $$
DECLARE
  memory_table TEXT;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    RAISE NOTICE 'pgvector is not installed: no IVFFlat indexes to build';
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_am WHERE amname = 'ivfflat') THEN
    RAISE NOTICE 'pgvector has no ivfflat access method: IVFFlat indexes skipped';
    RETURN;
  END IF;

  FOREACH memory_table IN ARRAY ARRAY['daily_memory', 'user_notes', 'procedural_memory', 'workspace_memory', 'rag_chunks', 'codebase_chunks']
  LOOP
    -- Only tables that got their embedding column (pgvector present when they were created).
    IF EXISTS (
      SELECT 1
      FROM pg_attribute
      WHERE attrelid = to_regclass(memory_table) AND attname = 'embedding' AND NOT attisdropped
    ) THEN
      EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON %I USING ivfflat (embedding vector_cosine_ops) WITH (lists = 100)',
        memory_table || '_embedding_ivfflat_idx',
        memory_table
      );
    END IF;
  END LOOP;
END
$$;
