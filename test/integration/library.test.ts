import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, fixturesDir, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions as ledgerOf, type TestDatabase } from '../helpers/database.js';
import { waitUntil } from '../helpers/wait.js';
import * as astra from '../../dist/index.js';

const shippedMigrations = join(repoRoot, 'migrations');
const work = mkdtempSync(join(tmpdir(), 'astra-library-'));
let db: TestDatabase;

beforeEach(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await db.drop();
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const ledgerVersions = () => ledgerOf(db);

describe('migrate() on start-up, from replicas that start together', () => {
  it('six processes at once on an empty database: every migration is applied exactly once and all six resolve', async () => {
    // Each replica is its own process, as in a real deployment, importing the built library.
    const script = `
      import { migrate } from ${JSON.stringify(join(repoRoot, 'dist', 'index.js'))};
      const result = await migrate({ connectionString: process.env.DATABASE_URL });
      process.stdout.write(JSON.stringify(result));
    `;
    const replicas = await Promise.all(
      Array.from({ length: 6 }, () =>
        execa('node', ['--input-type=module', '-e', script], { env: cleanEnv({ DATABASE_URL: db.url }), extendEnv: false, reject: false }),
      ),
    );
    for (const replica of replicas) expect(replica.exitCode, replica.stderr).toBe(0);
    // The library writes nothing of its own: stdout holds only what the script printed.
    const results = replicas.map((replica) => JSON.parse(replica.stdout) as astra.UpResult);
    const appliedVersions = results.flatMap((result) => result.applied.map((entry) => entry.version)).sort(astra.compareVersions);
    const files = (await import('node:fs')).readdirSync(shippedMigrations).filter((file) => file.endsWith('.sql'));
    expect(appliedVersions).toHaveLength(files.length);
    expect(new Set(appliedVersions).size).toBe(files.length);
    expect(await ledgerVersions()).toEqual(appliedVersions);
    // One replica did the work; the other five waited and found nothing to do.
    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
    for (const replica of replicas) expect(replica.stderr).toBe('');
  });
});

describe('upgrade() with an AbortSignal', () => {
  it('aborted during the apply step: the running migration finishes, the rest do not run, and the error says where the database is', async () => {
    const app = join(fixturesDir, 'upgrade-slow');
    const controller = new AbortController();
    const lines: string[] = [];
    const running = astra.upgrade({
      connectionString: db.url,
      migrationsDir: join(app, 'migrations'),
      releaseNotesDir: join(app, 'release-notes'),
      backupDir: join(work, 'backups'),
      yes: true,
      signal: controller.signal,
      logger: { info: (line) => lines.push(line), warn: (line) => lines.push(line) },
    });
    const outcome = running.then(
      () => undefined,
      (error: unknown) => error,
    );
    // Abort while the second migration (SELECT pg_sleep(3)) runs.
    await waitUntil(
      'the slow migration runs',
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()")).length > 0,
      { ended: outcome },
    );
    controller.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(astra.AstraError);
    expect((error as astra.AstraError).message).toContain(
      'Stopped at a safe point as asked: migration(s) 1, 2 were applied; the database is at migration 002-slow-step.sql.',
    );
    expect((error as astra.AstraError).exitCode).toBe(1);
    // Where the database stands, as data: changed, at migration 2.
    expect((error as astra.AstraError).database).toBe('changed');
    expect((error as astra.AstraError).schemaVersion).toBe(2);
    expect(await ledgerVersions()).toEqual([1, 2]);
    expect(await db.query("SELECT 1 FROM pg_class WHERE relname = 'third_step'")).toHaveLength(0);
    expect(lines.some((line) => line.includes('Interrupted (abort): stopping at the next safe point'))).toBe(true);
    // The logger is told of each migration as it is applied.
    expect(lines.some((line) => line.startsWith('✔ 001-first-step.sql'))).toBe(true);
  });

  it('not aborted: upgrades, backs up first and reports what it applied', async () => {
    const app = join(fixturesDir, 'upgrade-slow');
    const report = await astra.upgrade({
      connectionString: db.url,
      migrationsDir: join(app, 'migrations'),
      releaseNotesDir: join(app, 'release-notes'),
      backupDir: join(work, 'backups-ok'),
      yes: true,
    });
    expect(report.to).toBe('1.0.0');
    expect(report.applied.map((entry) => entry.version)).toEqual([1, 2, 3]);
    expect(report.backup?.id).toBeTruthy();
    expect(
      (await astra.status({ connectionString: db.url, migrationsDir: join(app, 'migrations'), releaseNotesDir: join(app, 'release-notes') })).databaseVersion,
    ).toBe('1.0.0');
  });

  it('a breaking release is refused, changing nothing, when confirm says no or when nobody can be asked', async () => {
    const app = join(fixturesDir, 'upgrade-app');
    const options = {
      connectionString: db.url,
      migrationsDir: join(app, 'migrations'),
      releaseNotesDir: join(app, 'release-notes'),
      backupDir: join(work, 'b'),
    };
    await astra.upgrade({ ...options, to: '1.1.0', yes: true });
    const before = await ledgerVersions();
    const asked: string[] = [];
    await expect(
      astra.upgrade({
        ...options,
        confirm: (question) => {
          asked.push(question);
          return Promise.resolve(false);
        },
      }),
    ).rejects.toThrow('Upgrade cancelled; nothing was changed.');
    expect(asked).toEqual(['Apply 1 breaking migration(s)? The application must be stopped. Continue']);
    expect(await ledgerVersions()).toEqual(before);
    // Neither `yes` with `allowBreaking` nor a `confirm` callback: bad usage (exit code 2), nothing changed.
    const refused = await astra.upgrade(options).then(
      () => undefined,
      (error: unknown) => error as astra.AstraError,
    );
    expect(refused?.exitCode).toBe(astra.EXIT_BAD_INPUT);
    expect(refused?.message).toContain('breaking migration(s)');
    expect(await ledgerVersions()).toEqual(before);
  });
});
