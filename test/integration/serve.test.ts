import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra, copyFixture, fixturesDir, repoRoot, startAstra, waitForStderr, type RunningAstra } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, tableNames, type TestDatabase } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * `astra serve`: the built CLI as a server process, real HTTP requests, a
 * real database. The secret reaches it as operators give it, through the
 * environment, and must come back nowhere.
 */
const SECRET = 'k8s-secret-7f3a9c1e5b2d4f60';

let db: TestDatabase;
let app: string;
let servers: RunningAstra[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  // The upgrade-app releases 1.0.0 and 1.1.0 (all safe); 1.2.0, which drops a column, is added by the test that needs it.
  app = copyFixture('upgrade-app');
  rmSync(join(app, 'migrations', '005-drop-legacy-token.sql'));
  rmSync(join(app, 'release-notes', '1.2.0.md'));
});
afterEach(async () => {
  for (const server of servers) server.kill('SIGKILL');
  await Promise.all(servers.map((server) => server.catch(() => undefined)));
  servers = [];
  await db.drop();
  rmSync(app, { recursive: true, force: true });
});

interface Served {
  url: string;
  process: RunningAstra;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/** Starts `astra serve` on a free port of loopback and resolves once it listens. */
async function serve(options: { args?: string[]; env?: Record<string, string | undefined>; dir?: string; shipped?: boolean } = {}): Promise<Served> {
  const dir = options.dir ?? app;
  // shipped: the migrations and release notes astra ships, as an application using the package's bundle has them.
  const folders = options.shipped ? [] : ['--migrations-dir', join(dir, 'migrations'), '--release-notes-dir', join(dir, 'release-notes')];
  const child = startAstra(['serve', '--port', '0', '--debug', ...folders, ...(options.args ?? [])], {
    env: { DATABASE_URL: db.url, ASTRA_SERVICE_SECRET: SECRET, ASTRA_BACKUP_DIR: join(dir, 'backups'), ...options.env },
  });
  servers.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const said = await waitForStderr(child, 'is listening on ');
  const url = /is listening on (http:\/\/\S+) /.exec(said)![1]!;
  return { url, process: child, stderr: () => stderr };
}

interface Answer {
  status: number;
  body: Record<string, unknown> & { ok?: boolean; error?: { message: string } };
  text: string;
}

async function request(url: string, options: { method?: string; secret?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.secret !== null) headers['x-service-secret'] = options.secret ?? SECRET;
  const response = await fetch(url, { method: options.method ?? 'GET', headers });
  const text = await response.text();
  return { status: response.status, text, body: response.headers.get('content-type')?.includes('json') ? parseJson(text) : {} };
}

const migrate = (server: Served, options: { secret?: string | null; query?: string } = {}) =>
  request(`${server.url}/api/db/migrate${options.query ?? ''}`, { method: 'POST', secret: options.secret });

describe('probes, status and the trigger', () => {
  it('is live at once, ready only once migrated, and the trigger applies the pending migrations', async () => {
    const server = await serve();
    expect((await request(`${server.url}/healthz`, { secret: null })).status).toBe(200);

    const before = await request(`${server.url}/readyz`, { secret: null });
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ ok: false, databases: { default: { ready: false, pending: 4, reasons: ['4 migrations are pending'] } } });

    const applied = await migrate(server);
    expect(applied.status).toBe(200);
    expect((applied.body.applied as { version: number }[]).map((entry) => entry.version)).toEqual([1, 2, 3, 4]);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(['users', 'posts']));

    const after = await request(`${server.url}/readyz`, { secret: null });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ ok: true, databases: { default: { ready: true, pending: 0, dirty: 0 } } });

    // The status route answers what `astra status --json` prints, to the secret.
    expect((await request(`${server.url}/api/db/status`, { secret: null })).status).toBe(401);
    const status = await request(`${server.url}/api/db/status`);
    const cli = await astra(['status', '--json', '--migrations-dir', join(app, 'migrations'), '--release-notes-dir', join(app, 'release-notes')], {
      env: { DATABASE_URL: db.url },
    });
    expect(status.status).toBe(200);
    expect(status.body).toEqual(parseJson(cli.stdout));

    // A second call finds nothing to do.
    const again = await migrate(server);
    expect(again.status).toBe(200);
    expect(again.body.applied).toEqual([]);
  });

  it('serves the plan of `upgrade --dry-run --json` to the secret only', async () => {
    const server = await serve();
    const plan = await request(`${server.url}/api/db/plan`);
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ ok: true, dryRun: true, to: '1.1.0' });
    expect((plan.body.plan as { pending: unknown[] }).pending).toHaveLength(4);
    expect((await request(`${server.url}/api/db/plan`, { secret: null })).status).toBe(401);
    expect(await ledgerVersions(db)).toEqual([]);
  });

  it('refuses a breaking release on a database in use with 409 and the command to run, changing nothing', async () => {
    const server = await serve();
    expect((await migrate(server)).status).toBe(200);
    // Release 1.2.0 arrives: it drops a column and says to stop the application.
    const full = join(fixturesDir, 'upgrade-app');
    cpSync(join(full, 'migrations', '005-drop-legacy-token.sql'), join(app, 'migrations', '005-drop-legacy-token.sql'));
    cpSync(join(full, 'release-notes', '1.2.0.md'), join(app, 'release-notes', '1.2.0.md'));
    const refused = await migrate(server);
    expect(refused.status).toBe(409);
    expect(refused.body.error!.message).toContain('release 1.2.0 has breaking migrations (005-drop-legacy-token.sql)');
    expect(refused.body.error).toMatchObject({ fix: 'Run astra upgrade by hand, with the application stopped where the release says so.' });
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
    const metrics = await request(`${server.url}/metrics`, { secret: null });
    expect(metrics.text).toContain('astra_migrate_runs_total{database="default",result="refused"} 1');
  });

  it('refuses a release behind a required upgrade stop, as astra upgrade does, changing nothing', async () => {
    // The shipped bundle: from 0.5.0 the newest release is reached only through required stops.
    const first = await astra(['upgrade', '--to', '0.5.0', '--yes', '--no-backup'], { env: { DATABASE_URL: db.url } });
    expect(first.exitCode, first.stderr).toBe(0);
    const before = await ledgerVersions(db);
    const server = await serve({ shipped: true });
    const refused = await migrate(server);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error!.message).toContain('release 0.10.0 is reached only through required upgrade stops');
    expect(await ledgerVersions(db)).toEqual(before);
  });

  it('answers an unreachable database with a reason that names no host or user', async () => {
    const server = await serve({ env: { DATABASE_URL: 'postgresql://someone@127.0.0.1:1/nowhere' } });
    const ready = await request(`${server.url}/readyz`, { secret: null });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ databases: { default: { ready: false, reasons: ['unreachable (the server log says why)'] } } });
    expect(ready.text).not.toContain('127.0.0.1');
    expect(ready.text).not.toContain('someone');
    expect(server.stderr()).toContain('readiness of default: Could not connect to PostgreSQL at 127.0.0.1:1');
  });

  it('refuses a release that says to stop the application, and one whose checklist fails, changing nothing', async () => {
    const server = await serve();
    expect((await migrate(server)).status).toBe(200);
    writeFileSync(join(app, 'migrations', '005-add-bio.sql'), 'ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text;\n');
    const notes = (stop: boolean) =>
      `---\nversion: 1.2.0\ndate: 2026-03-10\nstop_application: ${stop}\nmigrations:\n  - file: 005-add-bio.sql\n    safety: safe\n---\n\n# 1.2.0\n`;
    writeFileSync(join(app, 'release-notes', '1.2.0.md'), notes(true));
    const stop = await migrate(server);
    expect(stop.status).toBe(409);
    expect(stop.body.error!.message).toContain('release 1.2.0 says to stop the application');

    // Labelled safe, yet it rewrites the table under a lock: the checklist's labels item fails.
    rmSync(join(app, 'migrations', '005-add-bio.sql'));
    writeFileSync(join(app, 'migrations', '005-email-type.sql'), 'ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n');
    writeFileSync(join(app, 'release-notes', '1.2.0.md'), notes(false).replace('005-add-bio.sql', '005-email-type.sql'));
    const labels = await migrate(server);
    expect(labels.status).toBe(409);
    expect(labels.body.error!.message).toContain('the pre-upgrade checklist failed (labels:');
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a request body over 1 KB with 413, running nothing', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}/api/db/migrate`, {
      method: 'POST',
      headers: { 'x-service-secret': SECRET, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'x'.repeat(4096) }),
    });
    expect(response.status).toBe(413);
    expect(await ledgerVersions(db)).toEqual([]);
  });

  it('answers 404 for a database it does not serve, without echoing the name', async () => {
    const server = await serve();
    const answer = await migrate(server, { query: `?db=${SECRET}x` });
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain(SECRET);
    expect(await ledgerVersions(db)).toEqual([]);
  });
});

describe('the secret', () => {
  it('runs nothing without the right secret, counts each refusal, slows down an address that keeps failing, and never shows the secret', async () => {
    const server = await serve();
    const answers: Answer[] = [];
    answers.push(await migrate(server, { secret: null }));
    answers.push(await migrate(server, { secret: 'wrong-secret-of-some-length' }));
    answers.push(await migrate(server, { secret: SECRET.slice(0, -1) }));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ ok: false, error: { message: 'Unauthorized.', fix: null, exitCode: 2 } });
    }
    expect(await ledgerVersions(db)).toEqual([]);

    // Five refusals a minute from one address, then 429; the right secret still gets through.
    for (let i = 0; i < 2; i++) answers.push(await migrate(server, { secret: 'wrong' }));
    const limited = await migrate(server, { secret: 'wrong' });
    expect(limited.status).toBe(429);
    expect(await ledgerVersions(db)).toEqual([]);
    const allowed = await migrate(server);
    expect(allowed.status).toBe(200);
    answers.push(limited, allowed);

    const metrics = await request(`${server.url}/metrics`, { secret: null });
    expect(metrics.text).toContain('astra_serve_rejected_requests_total{reason="unauthorized"} 5');
    expect(metrics.text).toContain('astra_serve_rejected_requests_total{reason="rate_limited"} 1');
    answers.push(metrics, await request(`${server.url}/api/db/status`), await request(`${server.url}/readyz`), await request(`${server.url}/api/db/plan`));
    answers.push(await request(`${server.url}/nowhere?secret=${SECRET}`));

    for (const answer of answers) expect(answer.text).not.toContain(SECRET);
    process.kill(server.process.pid!, 'SIGTERM');
    const ended = await server.process;
    expect(ended.exitCode).toBe(0);
    expect(server.stderr()).toContain('POST /api/db/migrate 401');
    expect(server.stderr()).not.toContain(SECRET);
    expect(String(ended.stdout)).not.toContain(SECRET);
  });

  it('mounts neither the plan nor the trigger without a secret', async () => {
    const server = await serve({ env: { ASTRA_SERVICE_SECRET: undefined } });
    expect(server.stderr()).toContain('not mounted');
    expect((await migrate(server)).status).toBe(404);
    expect((await request(`${server.url}/api/db/plan`)).status).toBe(404);
    expect((await request(`${server.url}/readyz`)).status).toBe(503);
    // On loopback, the status is open to this machine.
    expect((await request(`${server.url}/api/db/status`, { secret: null })).body).toMatchObject({ ok: true, pending: 4 });
    expect(await ledgerVersions(db)).toEqual([]);
  });

  it('refuses to listen beyond loopback without a secret, and a secret that is short or given twice', async () => {
    const env = { DATABASE_URL: db.url };
    const dirs = ['--migrations-dir', join(app, 'migrations'), '--release-notes-dir', join(app, 'release-notes')];
    const open = await astra(['serve', '--host', '0.0.0.0', '--port', '0', ...dirs], { env });
    expect(open.exitCode).toBe(2);
    expect(open.stderr).toContain('will not listen on 0.0.0.0 without a secret');

    const short = await astra(['serve', '--port', '0', ...dirs], { env: { ...env, ASTRA_SERVICE_SECRET: 'letmein' } });
    expect(short.exitCode).toBe(2);
    expect(short.stderr).toContain('is 7 characters long; astra serve needs at least 16');
    expect(short.stderr).not.toContain('letmein');

    const file = join(app, 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    const twice = await astra(['serve', '--port', '0', '--secret-file', file, ...dirs], { env: { ...env, ASTRA_SERVICE_SECRET: SECRET } });
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toContain('Both ASTRA_SERVICE_SECRET and --secret-file give a secret');
    expect(twice.stderr).not.toContain(SECRET);

    const port = await astra(['serve', '--port', 'eighty', ...dirs], { env });
    expect(port.exitCode).toBe(2);
    expect(port.stderr).toContain('--port eighty is not a port number');
  });

  it('takes the secret from --secret-file', async () => {
    const file = join(app, 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    const server = await serve({ args: ['--secret-file', file], env: { ASTRA_SERVICE_SECRET: undefined } });
    expect((await migrate(server, { secret: 'wrong' })).status).toBe(401);
    expect((await migrate(server)).status).toBe(200);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
  });
});

describe('concurrency and shutdown', () => {
  it('applies every migration once when twenty calls arrive at once', async () => {
    const server = await serve();
    const answers = await Promise.all(Array.from({ length: 20 }, () => migrate(server)));
    for (const answer of answers) expect(answer.status).toBe(200);
    const versions = answers.flatMap((answer) => (answer.body.applied as { version: number }[]).map((entry) => entry.version));
    // Calls that arrived during the run share its report; any that came after it found nothing to do.
    expect(new Set(versions)).toEqual(new Set([1, 2, 3, 4]));
    const distinctRuns = new Set(answers.filter((answer) => (answer.body.applied as unknown[]).length > 0).map((answer) => answer.text));
    expect(distinctRuns.size).toBe(1);
    const rows = await db.query<{ version: string; count: string }>(
      'SELECT version, count(*) AS count FROM astra_migrations GROUP BY version ORDER BY version',
    );
    expect(rows.map((row) => [Number(row.version), Number(row.count)])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  });

  it('on SIGTERM lets the running migration finish, stops after it, and exits 0', async () => {
    const slow = copyFixture('upgrade-slow');
    try {
      const server = await serve({ dir: slow });
      const call = migrate(server);
      await slowStatementRunning(db);
      // Sent directly: execa's kill() would follow it with SIGKILL after 5 s.
      process.kill(server.process.pid!, 'SIGTERM');
      const answer = await call;
      const ended = await server.process;
      expect(ended.exitCode).toBe(0);
      expect(answer.status).toBe(503);
      expect(await ledgerVersions(db)).toEqual([1, 2]);
      expect(await tableNames(db)).not.toContain('third_step');
      expect(server.stderr()).toContain('SIGTERM: astra serve takes no new requests');
    } finally {
      rmSync(slow, { recursive: true, force: true });
    }
  });
});

/** Resolves once the slow migration's pg_sleep runs. */
async function slowStatementRunning(database: TestDatabase): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const rows = await database.query<{ busy: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE '%pg_sleep%' AND state = 'active') AS busy`,
    );
    if (rows[0]?.busy) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the slow migration did not start within 60 s');
}

describe('metrics', () => {
  it('reports migrations, the last run, doctor checks and backups in Prometheus text', async () => {
    const server = await serve();
    expect((await migrate(server)).status).toBe(200);
    const backup = await astra(['backup', 'create', '--json', '--migrations-dir', join(app, 'migrations')], {
      env: { DATABASE_URL: db.url, ASTRA_BACKUP_DIR: join(app, 'backups') },
    });
    expect(backup.exitCode).toBe(0);
    const verify = await astra(
      ['backup', 'verify', parseJson<{ backup: { id: string } }>(backup.stdout).backup.id, '--migrations-dir', join(app, 'migrations')],
      {
        env: { DATABASE_URL: db.url, ASTRA_BACKUP_DIR: join(app, 'backups') },
      },
    );
    expect(verify.exitCode).toBe(0);
    const metrics = await request(`${server.url}/metrics`, { secret: null });
    expect(metrics.status).toBe(200);
    const text = metrics.text;
    expect(text).toContain('astra_database_up{database="default"} 1');
    expect(text).toContain('astra_migrations_applied{database="default"} 4');
    expect(text).toContain('astra_migrations_pending{database="default"} 0');
    expect(text).toContain('astra_migrations_dirty{database="default"} 0');
    expect(text).toContain('astra_migrate_last_success{database="default"} 1');
    expect(text).toMatch(/astra_migrate_last_duration_seconds\{database="default"\} \d/);
    expect(text).toContain('astra_doctor_check{database="default",check="migrations",status="ok"} 1');
    expect(text).toMatch(/astra_backup_newest_verified_age_seconds\{database="default"\} \d/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('--wait-for-db', () => {
  it('waits for a server that starts 3 s after astra, then migrates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astra-wait-'));
    const late = new LocalCluster(join(dir, 'cluster'), { durable: false });
    try {
      await late.init();
      await late.start();
      await late.ensureDatabase('late');
      const url = late.connectionUrl('late');
      await late.stop();
      const run = startAstra(['migrate', 'up', '--wait-for-db', '60s', '--json', '--migrations-dir', join(app, 'migrations')], { env: { DATABASE_URL: url } });
      await waitForStderr(run, 'Waiting for the database');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await late.start();
      const result = await run;
      expect(result.stderr).toContain('accepts connections (after');
      expect(result.exitCode).toBe(0);
      expect(parseJson<{ applied: unknown[] }>(String(result.stdout)).applied).toHaveLength(4);
    } finally {
      await late.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up after the duration with the cause, and does not wait out a wrong password', async () => {
    const refused = await astra(['migrate', 'up', '--wait-for-db', '1s', '--migrations-dir', join(app, 'migrations')], {
      env: { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' },
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/the connection was refused; still so after waiting [\d.]+ (ms|s) \(\d+ attempts\)/);

    const started = Date.now();
    const wrong = await astra(['migrate', 'up', '--wait-for-db', '60s', '--migrations-dir', join(app, 'migrations')], {
      env: { DATABASE_URL: db.url.replace(/:[^:@/]+@/, ':wrong-password@') },
    });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('rejected the password');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await ledgerVersions(db)).toEqual([]);

    const bad = await astra(['upgrade', '--wait-for-db', 'soon', '--migrations-dir', join(app, 'migrations')], { env: { DATABASE_URL: db.url } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--wait-for-db "soon" is not a duration');
  });
});

describe('a project', () => {
  it('serves each database of the project file, readiness by required database, the trigger by ?db=', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'astra-serve-project-'));
    const tenant = await createTestDatabase();
    try {
      cpSync(join(repoRoot, 'examples', 'atlasai'), dir, { recursive: true });
      const child = startAstra(['serve', '--port', '0'], {
        cwd: dir,
        env: { CONTROL_PLANE_DATABASE_URL: db.url, TENANT_PLANE_DATABASE_URL: tenant.url, ASTRA_SERVICE_SECRET: SECRET },
      });
      servers.push(child);
      const said = await waitForStderr(child, 'is listening on ');
      const url = /is listening on (http:\/\/\S+) /.exec(said)![1]!;
      expect(said).toContain('for control, tenant');

      const onlyControl = await request(`${url}/api/db/migrate?db=control`, { method: 'POST' });
      expect(onlyControl.status).toBe(200);
      expect(onlyControl.body).toMatchObject({ ok: true, databases: { control: { ok: true } } });
      expect(Object.keys(onlyControl.body.databases as object)).toEqual(['control']);

      const ready = await request(`${url}/readyz`, { secret: null });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ok: false, databases: { control: { ready: true }, tenant: { ready: false } } });

      const all = await request(`${url}/api/db/migrate`, { method: 'POST' });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ ok: true, databases: { control: { ok: true, applied: [] }, tenant: { ok: true } } });
      expect((await request(`${url}/readyz`, { secret: null })).status).toBe(200);

      const status = await request(`${url}/api/db/status?db=tenant`);
      expect(status.body).toMatchObject({ ok: true, databases: { tenant: { ok: true, pending: 0 } } });
      expect(Object.keys(status.body.databases as object)).toEqual(['tenant']);
      const metrics = await request(`${url}/metrics`, { secret: null });
      expect(metrics.text).toContain('astra_migrations_pending{database="tenant"} 0');
      expect(metrics.text).toContain('astra_migrations_pending{database="control"} 0');
    } finally {
      await tenant.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
