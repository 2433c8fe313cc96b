import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { execa } from 'execa';
import { inject } from 'vitest';
import { astra, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, tableNames, type TestDatabase } from '../helpers/database.js';
import { loadReleaseNotes } from '../../src/release/notes.js';
import { parseMigrationFileName } from '../../src/migrations/discover.js';
import { findClientTool } from '../../src/pgtools/client-tools.js';

// The tables seed 000 names for Open Astra's 35 migrations.
const SEED_TABLES = [
  'schema_migrations',
  'users',
  'workspaces',
  'workspace_members',
  'messages',
  'sessions',
  'daily_memory',
  'user_profiles',
  'user_notes',
  'procedural_memory',
  'billing_usage',
  'cost_snapshots',
  'webhooks',
  'webhook_deliveries',
  'audit_log',
  'refresh_tokens',
  'agent_configs',
  'channel_routing',
  'knowledge_store',
  'heartbeat_configs',
  'heartbeat_runs',
  'workspace_files',
  'tool_outputs',
  'message_archive',
  'workspace_graph_entities',
  'tool_tasks',
  'skill_metrics',
  'workspace_secrets',
  'embedding_cache',
  'scheduled_agents',
  'workspace_agent_grants',
  'agent_traces',
  'job_queue',
  'agent_config_versions',
  'memory_profiles',
  'agent_memory_profiles',
  'linear_label_agent_mappings',
  'linear_webhook_events',
];

let allAtOnce: TestDatabase;
let stepByStep: TestDatabase;
beforeAll(async () => {
  [allAtOnce, stepByStep] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([allAtOnce?.drop(), stepByStep?.drop()]);
});

/** pg_dump --schema-only, without the lines that differ between two dumps of one schema. */
async function schemaDump(db: TestDatabase): Promise<string> {
  const server = inject('postgres');
  const pgDump = await findClientTool('pg_dump', server.major);
  const { stdout } = await execa(pgDump.path, ['--schema-only', '--no-owner', '--exclude-table-data=astra_migrations'], {
    env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: db.name },
  });
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('\\restrict') && !line.startsWith('\\unrestrict') && !line.startsWith('-- Dumped'))
    .join('\n');
}

const up = (db: TestDatabase, ...extra: string[]) => astra(['migrate', 'up', ...extra], { env: { DATABASE_URL: db.url } });

describe('the shipped bundle', () => {
  it('applies to an empty database, creates every table seed 000 names, and a rerun is a no-op', async () => {
    const first = await up(allAtOnce);
    expect(first.exitCode, first.stderr).toBe(0);
    const tables = await tableNames(allAtOnce);
    for (const table of SEED_TABLES) expect(tables, table).toContain(table);
    expect(await allAtOnce.query('SELECT 1 FROM pg_index WHERE NOT indisvalid')).toHaveLength(0);

    const before = await schemaDump(allAtOnce);
    const again = await up(allAtOnce);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('No migrations to apply');
    expect(await schemaDump(allAtOnce)).toBe(before);
  });

  it('applied release by release, yields the same schema as all at once', async () => {
    const releases = await loadReleaseNotes(join(repoRoot, 'release-notes'));
    for (const release of releases) {
      const last = release.metadata.migrations.at(-1);
      if (!last) continue;
      const version = parseMigrationFileName(last.file)!.version;
      const step = await up(stepByStep, '--to', String(version));
      expect(step.exitCode, `${release.metadata.version}: ${step.stderr}`).toBe(0);
    }
    if ((await tableNames(allAtOnce)).length === 0) expect((await up(allAtOnce)).exitCode).toBe(0);
    expect(await schemaDump(stepByStep)).toBe(await schemaDump(allAtOnce));
  });
});
