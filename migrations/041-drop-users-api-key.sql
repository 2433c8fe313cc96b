-- 041: BREAKING. Drops users.api_key, the plain-text API key column that 0.9.0
-- (039) replaced with hashed keys in api_keys. Application versions before
-- 0.9.0 read this column, so stop the application before this runs; 0.10.0 is
-- reached only through 0.9.0 (upgrade_from), which copied every key.
ALTER TABLE users DROP COLUMN IF EXISTS api_key;
