-- add_vault_rotation
CREATE TABLE IF NOT EXISTS vault_rotations (id bigserial PRIMARY KEY, secret_name text NOT NULL, rotated_at timestamptz NOT NULL DEFAULT now());
