-- add_report_schedules
CREATE TABLE IF NOT EXISTS report_schedules (id bigserial PRIMARY KEY, cron text NOT NULL, report text NOT NULL);
