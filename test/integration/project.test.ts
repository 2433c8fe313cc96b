import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra, repoRoot, startAstra, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * Projects: one application, several databases. AtlasAI's control plane runs
 * on the shared test server, its tenant plane on a second server started
 * here; the examples under examples/ are the projects under test.
 */
let baseDir: string;
let second: LocalCluster;
let counter = 0;

beforeAll(async () => {
  baseDir = mkdtempSync(join(tmpdir(), 'astra-project-'));
  second = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
  await second.init();
  await second.start();
}, 120_000);
afterAll(async () => {
  await second?.stop();
  rmSync(baseDir, { recursive: true, force: true });
});

/** A fresh database on the second server. */
async function tenantDatabase(): Promise<{ url: string; query: (sql: string) => Promise<pg.QueryResultRow[]> }> {
  const name = `tenant_${process.pid}_${++counter}`;
  await second.ensureDatabase(name);
  const config = second.connectionConfig(name);
  return {
    url: second.connectionUrl(name),
    query: async (sql) => {
      const client = new pg.Client(config);
      await client.connect();
      try {
        return (await client.query<pg.QueryResultRow>(sql)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

/** A private copy of an example project. */
function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `astra-example-${name}-`));
  cpSync(join(repoRoot, 'examples', name), dir, { recursive: true });
  return dir;
}

type Query = (sql: string) => Promise<pg.QueryResultRow[]>;

/** The schema (tables, columns, indexes) and a checksum of every table's rows: equal before and after means nothing was lost. */
async function snapshot(query: Query): Promise<{ schema: string[]; rows: Record<string, string> }> {
  const columns = await query(
    `SELECT table_schema || '.' || table_name || '.' || column_name || ' ' || data_type AS line FROM information_schema.columns
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  const indexes = await query(
    `SELECT schemaname || '.' || indexname || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1`,
  );
  const tables = await query(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  const rows: Record<string, string> = {};
  for (const { name } of tables as { name: string }[]) {
    // The ledger's applied_at and durations are rewritten by nothing astra restores; its rows count too.
    const [result] = await query(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS sum FROM ${name} t`);
    rows[name] = String(result!.sum);
  }
  return { schema: [...columns, ...indexes].map((row) => String(row.line)), rows };
}

interface Setup {
  dir: string;
  control: TestDatabase;
  tenant: Awaited<ReturnType<typeof tenantDatabase>>;
  env: Record<string, string>;
}

async function atlasai(): Promise<Setup> {
  const control = await createTestDatabase();
  const tenant = await tenantDatabase();
  return { dir: copyExample('atlasai'), control, tenant, env: { CONTROL_PLANE_DATABASE_URL: control.url, TENANT_PLANE_DATABASE_URL: tenant.url } };
}

const ledger = async (query: Query, table = 'public.astra_migrations'): Promise<number[]> => {
  const [found] = await query(`SELECT to_regclass('${table}') AS t`);
  if (!found?.t) return [];
  return (await query(`SELECT version FROM ${table} ORDER BY version`)).map((row) => Number(row.version));
};
const controlQuery =
  (setup: Setup): Query =>
  (sql) =>
    setup.control.query(sql);

describe('a project of two databases on two servers (AtlasAI)', () => {
  it('upgrades both, each with its own range of the shared folder, and groups --json by database', async () => {
    const setup = await atlasai();
    const result = await astra(['upgrade', '--yes', '--json'], { cwd: setup.dir, env: setup.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<{
      ok: boolean;
      to: string;
      databases: Record<string, { from: string | null; to: string; applied: unknown[]; backup: { id: string } }>;
    }>(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.to).toBe('1.7.0');
    expect(Object.keys(report.databases)).toEqual(['control', 'tenant']);
    expect(report.databases.control!.applied).toHaveLength(7);
    expect(report.databases.tenant!.applied).toHaveLength(18);
    expect(await ledger(controlQuery(setup))).toEqual([1001, 1002, 1003, 1004, 1005, 1006, 1007]);
    expect(await ledger(setup.tenant.query)).toEqual(Array.from({ length: 18 }, (_, index) => 2001 + index));
    // The tenant's tables are on the second server only.
    expect(await setup.tenant.query(`SELECT to_regclass('public.billing_invoices') AS t`)).toEqual([{ t: null }]);
    // One backup set names both backups and the release.
    const sets = readdirSync(join(setup.dir, '.astra', 'backups', 'sets'));
    expect(sets).toHaveLength(1);

    const human = await astra(['status'], { cwd: setup.dir, env: setup.env });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^\[CONTROL\] Database at +1\.7\.0$/m);
    expect(human.stdout).toMatch(/^\[TENANT\] Database at +1\.7\.0$/m);
    expect(human.stderr).toContain('[OK] astra status: control, tenant.');
  });

  it('restores the first database as well when the second fails, so the application never sees half a release', async () => {
    const setup = await atlasai();
    expect((await astra(['upgrade', '--to', '1.6.0', '--yes'], { cwd: setup.dir, env: setup.env })).exitCode).toBe(0);
    await setup.control.query(`INSERT INTO billing_invoices (tenant_id, amount_cents) SELECT g, g * 100 FROM generate_series(1, 500) g`);
    await setup.tenant.query(`INSERT INTO incidents (tenant_id, title, status) SELECT g, 'disk full ' || g, 'open' FROM generate_series(1, 300) g`);
    const controlBefore = await snapshot(controlQuery(setup));
    const tenantBefore = await snapshot(setup.tenant.query);
    appendFileSync(join(setup.dir, 'migrations', '2018_create_baseline_snapshots.sql'), 'SELECT 1 / 0;\n');

    const result = await astra(['upgrade', '--yes', '--json'], { cwd: setup.dir, env: setup.env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error: \[TENANT\] The upgrade failed during apply: migration 2018_create_baseline_snapshots\.sql failed/);
    expect(result.stderr).toContain('control was restored from the backup taken before this upgrade');
    // What became of each database, as data.
    const report = parseJson<{ ok: boolean; databases: Record<string, { outcome: string; backupId?: string }> }>(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.databases.control?.outcome).toBe('restored');
    expect(report.databases.control?.backupId).toMatch(/^\d{8}T\d{6}Z-/);
    expect(report.databases.tenant).toMatchObject({ outcome: 'failed' });
    expect(await snapshot(controlQuery(setup))).toEqual(controlBefore);
    expect(await snapshot(setup.tenant.query)).toEqual(tenantBefore);
    expect(await ledger(controlQuery(setup))).toEqual([1001, 1002, 1003, 1004, 1005]);
  });

  it('Ctrl-C while the second database is backed up stops there and restores the first', async () => {
    const setup = await atlasai();
    expect((await astra(['upgrade', '--to', '1.6.0', '--yes'], { cwd: setup.dir, env: setup.env })).exitCode).toBe(0);
    await setup.control.query(`INSERT INTO billing_invoices (tenant_id, amount_cents) SELECT g, g FROM generate_series(1, 200) g`);
    const controlBefore = await snapshot(controlQuery(setup));
    const tenantBefore = await snapshot(setup.tenant.query);
    const child = startAstra(['upgrade', '--yes'], { cwd: setup.dir, env: setup.env });
    await waitForStderr(child, '[TENANT] Backup');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain('control was restored from the backup taken before this upgrade');
    expect(await snapshot(controlQuery(setup))).toEqual(controlBefore);
    expect(await snapshot(setup.tenant.query)).toEqual(tenantBefore);
  });

  it('commands that name one version need --db, and change nothing without it', async () => {
    const setup = await atlasai();
    for (const args of [
      ['migrate', 'force', '1005'],
      ['migrate', 'up', '--to', '1003'],
      ['migrate', 'create', 'x'],
    ]) {
      const result = await astra(args, { cwd: setup.dir, env: setup.env });
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('names a file or version of one database, and 2 are selected');
    }
    expect(await ledger(controlQuery(setup))).toEqual([]);
    const one = await astra(['migrate', 'up', '--to', '1003', '--db', 'control'], { cwd: setup.dir, env: setup.env });
    expect(one.exitCode, one.stderr).toBe(0);
    expect(await ledger(controlQuery(setup))).toEqual([1001, 1002, 1003]);
  });

  it('--db tenant touches only the tenant database', async () => {
    const setup = await atlasai();
    const result = await astra(['migrate', 'up', '--db', 'tenant'], { cwd: setup.dir, env: setup.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^\[TENANT\] Applied 18 migration\(s\): 2001-2018$/m);
    expect(result.stderr).not.toContain('[CONTROL]');
    expect(await ledger(setup.tenant.query)).toHaveLength(18);
    expect(await setup.control.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
  });

  it('skips the control plane when its URL is not set, since the project says it is not required', async () => {
    const setup = await atlasai();
    const result = await astra(['migrate', 'up', '--json'], { cwd: setup.dir, env: { TENANT_PLANE_DATABASE_URL: setup.tenant.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('[CONTROL] Skipped: CONTROL_PLANE_DATABASE_URL is not set, and the project file says this database is not required.');
    const report = parseJson<{ databases: Record<string, { skipped?: string; applied?: unknown[] }> }>(result.stdout);
    expect(report.databases.control!.skipped).toContain('CONTROL_PLANE_DATABASE_URL is not set');
    expect(report.databases.tenant!.applied).toHaveLength(18);
  });

  it('rolls the whole set back to a release, and warns when --db leaves the others as they are', async () => {
    const setup = await atlasai();
    expect((await astra(['upgrade', '--to', '1.6.0', '--yes'], { cwd: setup.dir, env: setup.env })).exitCode).toBe(0);
    expect((await astra(['upgrade', '--yes'], { cwd: setup.dir, env: setup.env })).exitCode).toBe(0);
    const result = await astra(['rollback', '--to', '1.6.0', '--yes', '--json'], { cwd: setup.dir, env: setup.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(Object.keys(parseJson<{ databases: object }>(result.stdout).databases)).toEqual(['control', 'tenant']);
    expect(await ledger(controlQuery(setup))).toEqual([1001, 1002, 1003, 1004, 1005]);
    expect(await ledger(setup.tenant.query)).toHaveLength(15);

    // Back up to 1.7.0, then only the tenant back to 1.6.0.
    expect((await astra(['upgrade', '--yes'], { cwd: setup.dir, env: setup.env })).exitCode).toBe(0);
    const one = await astra(['rollback', '--to', '1.6.0', '--db', 'tenant', '--yes'], { cwd: setup.dir, env: setup.env });
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stderr).toContain('Only tenant is rolled back; control stays as it is');
    expect(await ledger(controlQuery(setup))).toHaveLength(7);
    expect(await ledger(setup.tenant.query)).toHaveLength(15);
  });
});

describe('a bad project file: exit 2, naming the file and the key, and nothing touched', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a password written in the URL',
      'databases:\n  - name: app\n    url: postgresql://app:hunter2@db.internal:5432/app\n    migrations: migrations\n',
      /astra\.config\.yaml is invalid: databases\[0\]\.url holds a password; keep it out of the file/,
    ],
    [
      'an unknown key',
      'databases:\n  - name: app\n    env: APP_URL\n    migrations: migrations\n    schemas: app\n',
      /databases\[0\] has an unknown field "schemas" \(allowed: name, kind, env, url,/,
    ],
    [
      'two databases with one name',
      'databases:\n  - name: app\n    env: APP_URL\n    migrations: migrations\n  - name: app\n    env: APP_URL\n    migrations: migrations\n',
      /databases\[1\]\.name names "app" a second time \(databases\[0\]\)/,
    ],
    [
      'a missing environment variable',
      'databases:\n  - name: app\n    env: NOT_SET_ANYWHERE\n    migrations: migrations\n',
      /The database "app" of .*astra\.config\.yaml has no URL: NOT_SET_ANYWHERE is not set; nothing was changed\./,
    ],
    [
      'a schema that is not a plain name',
      'databases:\n  - name: app\n    env: APP_URL\n    migrations: migrations\n    schema: "App; DROP"\n',
      /databases\[0\]\.schema must be a lower-case SQL name/,
    ],
  ];
  it.each(cases)('%s', async (_, text, message) => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'astra-bad-project-'));
    cpSync(join(repoRoot, 'examples', 'crawbl', 'migrations', 'orchestrator'), join(dir, 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'astra.config.yaml'), text);
    const result = await astra(['migrate', 'up', '--json'], { cwd: dir, env: { APP_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(parseJson<{ ok: boolean; error: { exitCode: number } }>(result.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)).toEqual([{ n: 0 }]);
    expect(existsSync(join(dir, '.astra'))).toBe(false);
  });

  it('--database-url beside a project file is refused', async () => {
    const dir = copyExample('crawbl');
    const db = await createTestDatabase();
    const result = await astra(['status', '--database-url', db.url], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--database-url cannot be used with the project file');
  });
});

describe('ledgers where the project file puts them (Crawbl: the orchestrator schema)', () => {
  it('runs the migrations in the orchestrator schema, with the ledger there, whatever the role search_path says', async () => {
    const db = await createTestDatabase();
    const dir = copyExample('crawbl');
    // A hostile search_path for this role in this database: astra must not follow it.
    await db.query(`CREATE SCHEMA elsewhere`);
    await db.query(`ALTER ROLE CURRENT_USER IN DATABASE ${db.name} SET search_path = elsewhere`);
    const result = await astra(['upgrade', '--yes'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    const tables = await db.query<{ t: string }>(
      `SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    expect(tables.map((row) => row.t)).toEqual([
      'orchestrator.agent_delegations',
      'orchestrator.agents',
      'orchestrator.artifacts',
      'orchestrator.astra_migrations',
      'orchestrator.conversations',
      'orchestrator.integration_categories',
      'orchestrator.integration_providers',
      'orchestrator.messages',
      'orchestrator.models',
      'orchestrator.tool_categories',
      'orchestrator.tools',
      'orchestrator.usage_counters',
      'orchestrator.usage_plans',
      'orchestrator.users',
      'orchestrator.workspaces',
    ]);
    const status = await astra(['status', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(parseJson<{ databases: { orchestrator: { applied: number; pending: number } } }>(status.stdout).databases.orchestrator).toMatchObject({
      applied: 5,
      pending: 0,
    });
  });

  it('stops, naming both places, when the ledger is missing where configured but kept in another schema', async () => {
    const db = await createTestDatabase();
    // Migrated without the project file: the ledger went to public.
    const plain = await astra(['migrate', 'up', '--migrations-dir', join(repoRoot, 'examples', 'crawbl', 'migrations', 'orchestrator')], {
      env: { DATABASE_URL: db.url },
    });
    expect(plain.exitCode, plain.stderr).toBe(0);
    const before = await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`);
    const result = await astra(['migrate', 'up'], { cwd: copyExample('crawbl'), env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /astra's ledger is not at orchestrator\.astra_migrations, where the project file puts it, but .* has one at public\.astra_migrations; nothing was changed\./,
    );
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)).toEqual(before);
    expect(await db.query(`SELECT to_regnamespace('orchestrator') AS s`)).toEqual([{ s: null }]);
  });
});

describe('the shipped bundle as a one-database project (examples/open-astra)', () => {
  it('upgrades and reports it as the database "app"', async () => {
    const db = await createTestDatabase();
    const dir = copyExample('open-astra');
    // The example names the shipped folders relative to itself, in the repository.
    const project = join(repoRoot, 'examples', 'open-astra', 'astra.config.json');
    const result = await astra(['upgrade', '--yes', '--json', '--config', project, '--backup-dir', join(dir, 'backups')], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<{ databases: { app: { from: string | null; to: string } } }>(result.stdout);
    expect(report.databases.app).toMatchObject({ from: null, to: '0.10.0' });
    expect(existsSync(join(dir, 'backups', 'app'))).toBe(true);
  });
});

describe('the library on a database of a project', () => {
  it('migrate({ project, database }) uses the URL, folders, schema and ledger the file gives that database', async () => {
    const { migrate, status } = await import('../../dist/index.js');
    const db = await createTestDatabase();
    const dir = copyExample('crawbl');
    writeFileSync(
      join(dir, 'astra.config.yaml'),
      'databases:\n  - name: orchestrator\n    url: ${LIBRARY_PROJECT_URL}\n    migrations: migrations/orchestrator\n    schema: orchestrator\n',
    );
    process.env.LIBRARY_PROJECT_URL = db.url;
    try {
      const result = await migrate({ project: join(dir, 'astra.config.yaml') });
      expect(result.applied.map((entry) => entry.version)).toEqual([1, 2, 3, 4, 5]);
      expect(await ledger((sql) => db.query(sql), 'orchestrator.astra_migrations')).toEqual([1, 2, 3, 4, 5]);
      expect((await status({ project: join(dir, 'astra.config.yaml'), database: 'orchestrator' })).pending).toBe(0);
      await expect(migrate({ project: join(dir, 'astra.config.yaml'), database: 'billing' })).rejects.toMatchObject({ exitCode: 2 });
    } finally {
      delete process.env.LIBRARY_PROJECT_URL;
    }
  });
});
