-- add_ai_feedback
CREATE TABLE IF NOT EXISTS ai_feedback (id bigserial PRIMARY KEY, response_id text NOT NULL, rating smallint NOT NULL);
