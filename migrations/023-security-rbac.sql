-- 023: centralized security: one audit trail for security events, encrypted
-- workspace secrets, and RBAC role assignments. Every table is new.
-- (This file supersedes 023-secrets.sql; 030 reconciles databases that ran that one.)

CREATE TABLE IF NOT EXISTS security_audit_events (
  id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  UUID REFERENCES workspaces (id) ON DELETE SET NULL,
  actor_id      UUID REFERENCES users (id) ON DELETE SET NULL,
  actor_type    TEXT NOT NULL DEFAULT 'user' CHECK (actor_type IN ('user', 'agent', 'system', 'api_key')),
  event_type    TEXT NOT NULL,
  severity      TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),
  outcome       TEXT NOT NULL DEFAULT 'allowed' CHECK (outcome IN ('allowed', 'denied', 'error')),
  resource_type TEXT,
  resource_id   TEXT,
  details       JSONB NOT NULL DEFAULT '{}',
  ip_address    INET,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS security_audit_events_workspace_id_created_at_idx ON security_audit_events (workspace_id, created_at DESC);
CREATE INDEX IF NOT EXISTS security_audit_events_denied_idx ON security_audit_events (created_at DESC) WHERE outcome <> 'allowed';

-- Secret values are encrypted by the gateway (AES-GCM): ciphertext and nonce,
-- and the version of the key that encrypted them.
CREATE TABLE IF NOT EXISTS workspace_secrets (
  id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  key             TEXT NOT NULL,
  ciphertext      BYTEA NOT NULL,
  nonce           BYTEA NOT NULL,
  key_version     INTEGER NOT NULL DEFAULT 1,
  description     TEXT,
  created_by      UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_rotated_at TIMESTAMPTZ,
  CONSTRAINT workspace_secrets_workspace_key_unique UNIQUE (workspace_id, key)
);

CREATE TABLE IF NOT EXISTS rbac_role_assignments (
  id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL: the role applies in every workspace (instance-wide).
  workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer', 'auditor')),
  granted_by   UUID REFERENCES users (id) ON DELETE SET NULL,
  expires_at   TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS rbac_role_assignments_scope_idx ON rbac_role_assignments (
  COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid),
  user_id,
  role
);
CREATE INDEX IF NOT EXISTS rbac_role_assignments_user_id_idx ON rbac_role_assignments (user_id);
