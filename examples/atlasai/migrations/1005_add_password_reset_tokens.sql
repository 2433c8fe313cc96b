-- add_password_reset_tokens
CREATE TABLE IF NOT EXISTS password_reset_tokens (token text PRIMARY KEY, user_email text NOT NULL, expires_at timestamptz NOT NULL);
