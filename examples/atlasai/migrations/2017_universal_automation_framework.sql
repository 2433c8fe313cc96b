-- universal_automation_framework
CREATE TABLE IF NOT EXISTS automation_steps (id bigserial PRIMARY KEY, job_id bigint NOT NULL, position integer NOT NULL, action text NOT NULL);
