import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { astra, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * Seed catalogs, on the Crawbl example (examples/crawbl): JSON rows of models,
 * tools, integrations and usage plans, applied after the migrations by
 * upgrade and migrate up, or on their own by astra seed.
 */

interface CatalogReport {
  catalog: string;
  table: string;
  mode: string;
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  rows: { add: Record<string, unknown>[]; change: { key: Record<string, unknown>; fields: string[] }[]; delete: Record<string, unknown>[] };
}
type Grouped<T> = { ok: boolean; databases: { orchestrator: T & { ok: boolean } } };

function crawbl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'astra-seed-'));
  cpSync(join(repoRoot, 'examples', 'crawbl'), dir, { recursive: true });
  return dir;
}

function editJson(dir: string, file: string, edit: (rows: Record<string, unknown>[]) => unknown): void {
  const path = join(dir, 'seed', file);
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[]), null, 2));
}

/** Every catalog table's rows, as one comparable value. */
async function catalogRows(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const tables = ['models', 'tool_categories', 'tools', 'integration_categories', 'integration_providers', 'usage_plans'];
  const result: Record<string, unknown[]> = {};
  for (const table of tables) result[table] = await db.query(`SELECT * FROM orchestrator.${table} ORDER BY id`);
  return result;
}

async function upgraded(): Promise<{ dir: string; db: TestDatabase; env: Record<string, string> }> {
  const db = await createTestDatabase();
  const dir = crawbl();
  const env = { DATABASE_URL: db.url };
  const result = await astra(['upgrade', '--yes', '--no-backup'], { cwd: dir, env });
  expect(result.exitCode, result.stderr).toBe(0);
  return { dir, db, env };
}

describe('seed catalogs', () => {
  it('an upgrade fills the catalog tables after the migrations; a second run changes nothing and says so', async () => {
    const db = await createTestDatabase();
    const dir = crawbl();
    const env = { DATABASE_URL: db.url };
    const result = await astra(['upgrade', '--yes', '--no-backup', '--json'], { cwd: dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<Grouped<{ seeds: CatalogReport[] }>>(result.stdout);
    const byTable = Object.fromEntries(report.databases.orchestrator.seeds.map((catalog) => [catalog.table, catalog]));
    expect(byTable['orchestrator.models']).toMatchObject({ catalog: 'seed/models.json', mode: 'upsert', added: 4, changed: 0, deleted: 0, unchanged: 0 });
    expect(byTable['orchestrator.usage_plans']).toMatchObject({ added: 2 });
    expect(await db.query(`SELECT id, monthly_tokens::int AS tokens, price_cents FROM orchestrator.usage_plans ORDER BY id`)).toEqual([
      { id: 'free', tokens: 500_000, price_cents: 0 },
      { id: 'pro', tokens: 10_000_000, price_cents: 2000 },
    ]);
    expect(await db.query(`SELECT parameters FROM orchestrator.tools WHERE id = 'web_search'`)).toEqual([
      { parameters: { query: 'string', limit: 'integer' } },
    ]);
    const before = await catalogRows(db);

    const again = await astra(['seed', '--json'], { cwd: dir, env });
    expect(again.exitCode, again.stderr).toBe(0);
    const seeds = parseJson<Grouped<{ seeds: CatalogReport[] }>>(again.stdout).databases.orchestrator.seeds;
    expect(seeds).toHaveLength(6);
    for (const catalog of seeds) expect(catalog).toMatchObject({ added: 0, changed: 0, deleted: 0 });
    expect(again.stderr).toContain('seed/models.json → orchestrator.models: nothing to change (4 row(s) as shipped)');
    expect(await catalogRows(db)).toEqual(before);

    const doctor = await astra(['doctor', '--json'], { cwd: dir, env });
    const check = parseJson<Grouped<{ checks: { id: string; status: string }[] }>>(doctor.stdout).databases.orchestrator.checks.find(
      (one) => one.id === 'seed-catalogs',
    );
    expect(check).toMatchObject({ status: 'ok' });
  });

  it('an edited catalog updates its rows by key (upsert), leaves edited rows alone (insert), and doctor reports the difference first', async () => {
    const { dir, db, env } = await upgraded();
    // The operator's own change to a plan, which an insert catalog never overwrites.
    await db.query(`UPDATE orchestrator.usage_plans SET title = 'Hobby' WHERE id = 'free'`);
    editJson(dir, 'models.json', (rows) => [
      ...rows.map((row) => (row.id === 'gpt-4o' ? { ...row, context_window: 256_000 } : row)),
      { id: 'o3', provider: 'openai', context_window: 200_000 },
    ]);
    editJson(dir, 'usage_plans.json', (rows) => [...rows, { id: 'team', title: 'Team', monthly_tokens: 50_000_000 }]);

    const doctor = await astra(['doctor', '--json'], { cwd: dir, env });
    const check = parseJson<Grouped<{ checks: { id: string; status: string; detail: string }[] }>>(doctor.stdout).databases.orchestrator.checks.find(
      (one) => one.id === 'seed-catalogs',
    );
    expect(check).toMatchObject({ status: 'warn' });
    expect(check!.detail).toContain('seed/models.json → orchestrator.models: 1 row(s) missing, 1 row(s) differ');

    const dry = await astra(['seed', '--dry-run', '--json'], { cwd: dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    const models = parseJson<Grouped<{ seeds: CatalogReport[] }>>(dry.stdout).databases.orchestrator.seeds[0]!;
    expect(models.rows).toEqual({ add: [{ id: 'o3' }], change: [{ key: { id: 'gpt-4o' }, fields: ['context_window'] }], delete: [] });
    expect(dry.stderr).toContain('~ id "gpt-4o": context_window');
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 4 }]);

    const applied = await astra(['seed', '--json'], { cwd: dir, env });
    expect(applied.exitCode, applied.stderr).toBe(0);
    const reports = parseJson<Grouped<{ seeds: CatalogReport[] }>>(applied.stdout).databases.orchestrator.seeds;
    expect(reports.find((report) => report.table === 'orchestrator.models')).toMatchObject({ added: 1, changed: 1, deleted: 0, unchanged: 3 });
    expect(reports.find((report) => report.table === 'orchestrator.usage_plans')).toMatchObject({ added: 1, changed: 0, unchanged: 2 });
    expect(await db.query(`SELECT id, context_window FROM orchestrator.models WHERE id IN ('gpt-4o', 'o3') ORDER BY id`)).toEqual([
      { id: 'gpt-4o', context_window: 256_000 },
      { id: 'o3', context_window: 200_000 },
    ]);
    expect(await db.query(`SELECT id, title FROM orchestrator.usage_plans ORDER BY id`)).toEqual([
      { id: 'free', title: 'Hobby' },
      { id: 'pro', title: 'Pro' },
      { id: 'team', title: 'Team' },
    ]);
  });

  it('a sync catalog deletes the rows it no longer lists only with consent', async () => {
    const { dir, db, env } = await upgraded();
    editJson(dir, 'integration_providers.json', (rows) => rows.filter((row) => row.id !== 'telegram'));
    editJson(dir, 'models.json', (rows) => [...rows, { id: 'o3', provider: 'openai', context_window: 200_000 }]);
    const before = await catalogRows(db);

    for (const args of [['seed'], ['seed', '--yes'], ['migrate', 'up']]) {
      const refused = await astra(args, { cwd: dir, env });
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('seed/integration_providers.json would delete 1 row(s) of orchestrator.integration_providers');
      expect(refused.stderr).toContain('--allow-breaking');
      // Refused before any catalog was applied: the new model is not there either.
      expect(await catalogRows(db)).toEqual(before);
    }

    const allowed = await astra(['seed', '--allow-breaking', '--json'], { cwd: dir, env });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    const providers = parseJson<Grouped<{ seeds: CatalogReport[] }>>(allowed.stdout).databases.orchestrator.seeds.find(
      (report) => report.table === 'orchestrator.integration_providers',
    );
    expect(providers).toMatchObject({ deleted: 1, unchanged: 2, rows: { delete: [{ id: 'telegram' }] } });
    expect(await db.query(`SELECT id FROM orchestrator.integration_providers ORDER BY id`)).toEqual([{ id: 'google_drive' }, { id: 'slack' }]);
  });

  it('an upgrade whose sync catalog deletes rows needs the release notes to say so, and --allow-breaking', async () => {
    const { dir, db, env } = await upgraded();
    writeFileSync(
      join(dir, 'migrations', 'orchestrator', '000006_provider_notes.up.sql'),
      'ALTER TABLE integration_providers ADD COLUMN IF NOT EXISTS notes text;\n',
    );
    const notes = (seeds: string) =>
      `---\nversion: 0.4.0\ndate: 2026-08-01\nstop_application: true\nmigrations:\n  - file: 000006_provider_notes.up.sql\n    safety: safe\n${seeds}---\n\n# Crawbl 0.4.0\n\nTelegram is no longer offered.\n`;
    writeFileSync(join(dir, 'release-notes', '0.4.0.md'), notes(''));
    editJson(dir, 'integration_providers.json', (rows) => rows.filter((row) => row.id !== 'telegram'));

    const unannounced = await astra(['upgrade', '--yes', '--allow-breaking', '--no-backup'], { cwd: dir, env });
    expect(unannounced.exitCode).toBe(1);
    expect(unannounced.stderr).toContain('seeds');
    expect(unannounced.stderr).toContain('no release notes of this upgrade say so');
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.astra_migrations`)).toEqual([{ n: 5 }]);

    writeFileSync(
      join(dir, 'release-notes', '0.4.0.md'),
      notes('seeds:\n  - catalog: integration_providers.json\n    deletes: true\n    reason: Telegram is no longer offered; remove its connections first.\n'),
    );
    const yesOnly = await astra(['upgrade', '--yes', '--no-backup'], { cwd: dir, env });
    expect(yesOnly.exitCode).toBe(2);
    expect(yesOnly.stderr).toContain('seed catalog seed/integration_providers.json deleting 1 row(s) of orchestrator.integration_providers');
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.integration_providers`)).toEqual([{ n: 3 }]);

    const done = await astra(['upgrade', '--yes', '--allow-breaking', '--no-backup'], { cwd: dir, env });
    expect(done.exitCode, done.stderr).toBe(0);
    expect(await db.query(`SELECT id FROM orchestrator.integration_providers ORDER BY id`)).toEqual([{ id: 'google_drive' }, { id: 'slack' }]);
  });

  it('migrate up applies the catalogs after the last migration, and not when it stops before it (--to)', async () => {
    const db = await createTestDatabase();
    const dir = crawbl();
    const env = { DATABASE_URL: db.url };
    const partial = await astra(['migrate', 'up', '--db', 'orchestrator', '--to', '5', '--json'], { cwd: dir, env });
    expect(partial.exitCode, partial.stderr).toBe(0);
    expect(parseJson<Grouped<{ seeds?: CatalogReport[] }>>(partial.stdout).databases.orchestrator.seeds).toHaveLength(6);
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 4 }]);

    const other = await createTestDatabase();
    const early = await astra(['migrate', 'up', '--db', 'orchestrator', '--to', '3', '--json'], { cwd: crawbl(), env: { DATABASE_URL: other.url } });
    expect(early.exitCode, early.stderr).toBe(0);
    expect(parseJson<Grouped<{ seeds?: CatalogReport[] }>>(early.stdout).databases.orchestrator.seeds).toBeUndefined();
    expect(await other.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 0 }]);
  });

  it('an upgrade to an earlier release leaves the catalogs for later: they fill tables its migrations do not create yet', async () => {
    const db = await createTestDatabase();
    const dir = crawbl();
    const result = await astra(['upgrade', '--to', '0.2.0', '--yes', '--no-backup', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(parseJson<Grouped<{ to: string; seeds?: unknown }>>(result.stdout).databases.orchestrator).toMatchObject({ to: '0.2.0' });
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 0 }]);
  });

  it('a catalog refused after migrate up applied the migrations says that they were applied', async () => {
    const db = await createTestDatabase();
    const dir = crawbl();
    writeFileSync(join(dir, 'seed', 'tools.json'), JSON.stringify([{ id: 'web_search', category_id: 'web', description: 'x', colour: 'red' }]));
    const result = await astra(['migrate', 'up', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('field "colour" is not a column of table orchestrator.tools');
    expect(result.stderr).toContain('The migrations were applied (000001_create_all.up.sql');
    expect(result.stderr).toContain('only the catalogs were not');
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.astra_migrations`)).toEqual([{ n: 5 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 0 }]);
  });

  const badCatalogs: [string, string, string | object, RegExp][] = [
    ['invalid JSON', 'tools.json', '[{"id": "web_search",', /The seed catalog seed\/tools\.json is not valid JSON/],
    ['not a list', 'tools.json', { id: 'web_search' }, /seed\/tools\.json must be a JSON list of rows/],
    [
      'a column the table does not have',
      'tools.json',
      [{ id: 'web_search', category_id: 'web', description: 'x', colour: 'red' }],
      /seed\/tools\.json\[0\] \(id "web_search"\): field "colour" is not a column of table orchestrator\.tools/,
    ],
    [
      'a duplicate key',
      'tools.json',
      [
        { id: 'a', category_id: 'web', description: 'x' },
        { id: 'a', category_id: 'web', description: 'y' },
      ],
      /seed\/tools\.json\[1\] \(id "a"\) has the same key as seed\/tools\.json\[0\]/,
    ],
    [
      'a value of the wrong type',
      'usage_plans.json',
      [{ id: 'free', title: 'Free', monthly_tokens: 'lots' }],
      /seed\/usage_plans\.json\[0\] \(id "free"\): field "monthly_tokens" is "lots", and column monthly_tokens is bigint/,
    ],
    [
      'a value the column cannot hold',
      'models.json',
      [{ id: 'huge', provider: 'x', context_window: 1e12 }],
      /seed\/models\.json\[0\] \(id "huge"\): field "context_window" cannot be stored in column context_window \(integer\)/,
    ],
    ['a row without its key', 'tools.json', [{ category_id: 'web', description: 'x' }], /seed\/tools\.json\[0\]: the key field "id" is missing/],
  ];
  it.each(badCatalogs)('a bad catalog (%s) is refused, naming file, row and field, and no catalog is applied', async (_, file, content, message) => {
    const { dir, db, env } = await upgraded();
    // A good change in the first catalog: it must not be applied either.
    editJson(dir, 'models.json', (rows) => [...rows, { id: 'o3', provider: 'openai', context_window: 200_000 }]);
    writeFileSync(join(dir, 'seed', file), typeof content === 'string' ? content : JSON.stringify(content));
    const before = await catalogRows(db);
    const result = await astra(['seed', '--json'], { cwd: dir, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('no catalog was applied');
    expect(parseJson<{ ok: boolean }>(result.stdout)).toMatchObject({ ok: false });
    expect(await catalogRows(db)).toEqual(before);
  });

  it('a catalog field in the project file that is not valid is an input error naming the key', async () => {
    const dir = crawbl();
    const db = await createTestDatabase();
    const config = readFileSync(join(dir, 'astra.config.yaml'), 'utf8').replace('mode: insert', 'mode: replace');
    writeFileSync(join(dir, 'astra.config.yaml'), config);
    const result = await astra(['seed'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('databases[0].seeds[5].mode must be "insert", "upsert" or "sync"');
  });

  it('astra seed without a project file says what it needs', async () => {
    const db = await createTestDatabase();
    const result = await astra(['seed'], { cwd: mkdtempSync(join(tmpdir(), 'astra-noproject-')), env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('astra seed applies the seed catalogs a project file declares, and there is no project file here or above');
  });
});
