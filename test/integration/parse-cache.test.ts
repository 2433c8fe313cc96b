import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';

const dir = join(fixturesDir, 'partitioned');
let cache: string;
let databases: TestDatabase[];
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'astra-cache-'));
  databases = [];
});
afterEach(async () => {
  for (const db of databases) await db.drop();
  rmSync(cache, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

const run = (db: TestDatabase, ...args: string[]) => astra(['--migrations-dir', dir, ...args], { env: { DATABASE_URL: db.url, ASTRA_CACHE_DIR: cache } });

/** The shelves of the cache: one file per folder read, an entry per file in it. */
function shelves(): string[] {
  return readdirSync(cache).flatMap((build) => readdirSync(join(cache, build)).map((name) => join(cache, build, name)));
}

async function indexes(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ name: string; valid: boolean }>(
    "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
  );
  return rows.map((row) => `${row.name}${row.valid ? '' : ' (invalid)'}`);
}

describe('parsed migrations kept between runs', () => {
  it('applies from the cache what it applied from the files, the partitioned index built partition by partition alike', async () => {
    const first = await database();
    const cold = await run(first, 'migrate', 'up');
    expect(cold.exitCode, cold.stderr).toBe(0);
    const [shelf, ...others] = shelves();
    expect(others).toHaveLength(0);
    expect(Object.keys(JSON.parse(readFileSync(shelf!, 'utf8')) as object)).toHaveLength(2);
    expect(statSync(shelf!).mode & 0o777).toBe(0o600);

    const second = await database();
    const warm = await run(second, 'migrate', 'up');
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(warm.stderr.replaceAll(/\(\d+ ms\)/g, '')).toBe(cold.stderr.replaceAll(/\(\d+ ms\)/g, '').replaceAll(first.name, second.name));
    expect(await indexes(second)).toEqual(await indexes(first));
    expect(await ledgerVersions(second)).toEqual([1, 2]);

    const dry = await run(await database(), 'migrate', 'up', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('Would apply 2 migration(s)');
    const status = await run(second, '--json', 'status');
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: 2, pending: 0 });

    const doctor = await run(second, '--json', 'doctor');
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string }[] };
    expect(report.checks.find((check) => check.id === 'schema-drift')?.status).toBe('ok');
  });

  it('parses again what it cannot read back, and runs alike with ASTRA_CACHE_DIR=off', async () => {
    expect((await run(await database(), 'migrate', 'up')).exitCode).toBe(0);
    for (const shelf of shelves()) writeFileSync(shelf, '{"a": [{"index": 0, "text": "DROP TABLE events"');
    const damaged = await database();
    const result = await run(damaged, 'migrate', 'up');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await indexes(damaged)).toContain('events_at_idx');

    rmSync(cache, { recursive: true, force: true });
    const off = await database();
    const uncached = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: off.url, ASTRA_CACHE_DIR: 'off' } });
    expect(uncached.exitCode, uncached.stderr).toBe(0);
    expect(await indexes(off)).toEqual(await indexes(damaged));
  });
});
