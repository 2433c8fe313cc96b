-- 001_llm_usage: every LLM call, and a daily rollup kept by a materialized view.
-- Written for ClickHouse 18.16 and later.
CREATE TABLE IF NOT EXISTS llm_usage (
  event_time DateTime,
  workspace_id String,
  agent_id String,
  model String,
  prompt_tokens UInt32,
  completion_tokens UInt32,
  cost_micros UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMM(event_time) ORDER BY (workspace_id, event_time);

CREATE TABLE IF NOT EXISTS llm_usage_daily (
  day Date,
  workspace_id String,
  model String,
  requests UInt64,
  prompt_tokens UInt64,
  completion_tokens UInt64,
  cost_micros UInt64
) ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (workspace_id, day, model);

-- Each insert into llm_usage adds its rows' sums to llm_usage_daily.
CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS
SELECT
  toDate(event_time) AS day,
  workspace_id,
  model,
  count() AS requests,
  sum(prompt_tokens) AS prompt_tokens,
  sum(completion_tokens) AS completion_tokens,
  sum(cost_micros) AS cost_micros
FROM llm_usage
GROUP BY day, workspace_id, model;
