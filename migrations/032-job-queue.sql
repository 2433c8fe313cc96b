-- 032: a queue for long-running background jobs, dequeued with
-- SELECT ... FOR UPDATE SKIP LOCKED.
CREATE TABLE IF NOT EXISTS job_queue (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  queue        TEXT NOT NULL DEFAULT 'default',
  job_type     TEXT NOT NULL,
  payload      JSONB NOT NULL DEFAULT '{}',
  status       TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority     INTEGER NOT NULL DEFAULT 0,
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  run_after    TIMESTAMPTZ NOT NULL DEFAULT now(),
  locked_by    TEXT,
  locked_at    TIMESTAMPTZ,
  last_error   TEXT,
  result       JSONB,
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at  TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS job_queue_dequeue_idx ON job_queue (queue, priority DESC, run_after) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS job_queue_running_locked_at_idx ON job_queue (locked_at) WHERE status = 'running';
