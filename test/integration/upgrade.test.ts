import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { inject } from 'vitest';
import { astra, fixturesDir, startAstra, waitForStderr } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, serverConfig, sessionRunning, type TestDatabase } from '../helpers/database.js';
import { ASTRA_LOCK_KEY } from '../../src/db/advisory-lock.js';
import { findClientTool } from '../../src/pgtools/client-tools.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type StatusReport, type UpgradeReport } from '../helpers/reports.js';

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-upgrade-backups-'));
});
afterEach(async () => {
  await db.drop();
});

const app = join(fixturesDir, 'upgrade-app');
const failing = join(fixturesDir, 'upgrade-failing');
/** The CLI's arguments for `bundle` (a folder with migrations/ and release-notes/), the test's backup folder, then `args`. */
const onBundle = (bundle: string, args: string[]) => [
  '--migrations-dir',
  join(bundle, 'migrations'),
  '--release-notes-dir',
  join(bundle, 'release-notes'),
  '--backup-dir',
  backupDir,
  ...args,
];
function run(bundle: string, ...args: string[]) {
  return astra(onBundle(bundle, args), { env: { DATABASE_URL: db.url } });
}

/** Schema and rows of the database, as pg_dump prints them, for before/after comparisons. */
async function snapshot(): Promise<string> {
  const server = inject('postgres');
  const pgDump = await findClientTool('pg_dump', server.major);
  const { stdout } = await execa(pgDump.path, ['--no-owner', '--inserts', '--exclude-table-data=astra_migrations'], {
    env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: db.name },
  });
  const ledger = await db.query('SELECT version, checksum, dirty FROM astra_migrations ORDER BY version').catch(() => []);
  return `${stdout
    .split('\n')
    .filter((line) => !/^\\(un)?restrict|^-- Dumped/.test(line))
    .join('\n')}\n${JSON.stringify(ledger)}`;
}

/** Starts the CLI on `bundle` like run(), for a test that signals it while it runs. */
function start(bundle: string, ...args: string[]) {
  return startAstra(onBundle(bundle, args), { env: { DATABASE_URL: db.url } });
}

/** Runs the CLI on `bundle` and sends it SIGINT once a session of its own ending in `suffix` is running a statement. */
async function interruptedWhile(suffix: string, bundle: string, ...args: string[]) {
  const child = start(bundle, ...args);
  await sessionRunning(db.name, suffix, child);
  child.kill('SIGINT');
  return child;
}

const backups = () => readdirSync(backupDir).filter((file) => !file.startsWith('.'));

describe('astra upgrade', () => {
  it('--to an intermediate version takes a backup, applies that release, and passes doctor', async () => {
    const result = await run(app, 'upgrade', '--to', '1.1.0', '--yes', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<UpgradeReport>(result.stdout);
    expect(report).toMatchObject({ ok: true, from: null, to: '1.1.0' });
    expect(report.applied.map((entry) => entry.file)).toEqual(['001-users.sql', '002-posts.sql', '003-posts-created-at-index.sql', '004-posts-title.sql']);
    expect(report.backup.id).toEqual(match.any(String));
    expect(report.doctor.ok).toBe(true);
    expect(report.rollbackCommand).toContain(`--backup ${report.backup.id}`);
    expect(backups().length).toBeGreaterThan(0);
    const status = parseJson<StatusReport>((await run(app, 'status', '--json')).stdout);
    expect(status.databaseVersion).toBe('1.1.0');
  });

  it('refuses a breaking release without a terminal and without --allow-breaking: exit 2, nothing changed', async () => {
    expect((await run(app, 'upgrade', '--to', '1.1.0', '--yes')).exitCode).toBe(0);
    const before = await snapshot();
    const backupsBefore = backups();
    const result = await run(app, 'upgrade', '--yes');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('breaking migration(s) (005-drop-legacy-token.sql)');
    expect(result.stderr).toContain('--allow-breaking');
    expect(await snapshot()).toBe(before);
    expect(backups()).toEqual(backupsBefore);

    const allowed = await run(app, 'upgrade', '--yes', '--allow-breaking');
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5]);
  });

  it('without a terminal and without --yes, stops before any change and names the flag', async () => {
    const result = await run(app, 'upgrade', '--to', '1.0.0');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Run again with --yes.');
    expect(await ledgerVersions(db)).toEqual([]);
    expect(backups()).toEqual([]);
  });

  it('refuses to skip a required upgrade stop, naming the path', async () => {
    expect((await run(app, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    const result = await run(app, 'upgrade', '--yes', '--allow-breaking');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('1.0.0 cannot upgrade straight to 1.2.0: release 1.2.0 requires upgrading from 1.1.0 or later');
    expect(result.stderr).toContain('astra upgrade --to 1.1.0, then astra upgrade --to 1.2.0');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
  });

  it('--dry-run and checklist across a required stop print every step of the path, and change nothing', async () => {
    expect((await run(app, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    const backupsBefore = backups();
    const result = await run(app, 'upgrade', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('takes 2 steps, one per required upgrade stop');
    expect(result.stdout).toMatch(/Step 1 of 2: astra upgrade --to 1\.1\.0\n/);
    expect(result.stdout).toMatch(/Step 2 of 2: astra upgrade --to 1\.2\.0\nUpgrade plan: 1\.1\.0 → 1\.2\.0\n/);
    expect(result.stdout).toContain('The upgrade to 1.2.0 takes 2 steps: astra upgrade --to 1.1.0, then astra upgrade --to 1.2.0.');
    const json = await run(app, 'checklist', '--json');
    expect(json.exitCode, json.stderr).toBe(0);
    const steps = parseJson<{ plan: { steps: { from: string; to: string; pending: { file: string }[] }[] } }>(json.stdout).plan.steps;
    expect(steps.map((step) => `${step.from} → ${step.to}`)).toEqual(['1.0.0 → 1.1.0', '1.1.0 → 1.2.0']);
    expect(steps.every((step) => step.pending.length > 0)).toBe(true);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(backups()).toEqual(backupsBefore);
  });

  it('--dry-run prints the plan and the checklist and changes nothing', async () => {
    expect((await run(app, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    await db.query("INSERT INTO users (email) VALUES ('a@example.com')");
    const before = await snapshot();
    const backupsBefore = backups();
    const result = await run(app, 'upgrade', '--to', '1.1.0', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Upgrade plan for');
    expect(result.stdout).toContain('1.0.0 → 1.1.0');
    expect(result.stdout).toContain('003-posts-created-at-index.sql; runs CREATE INDEX CONCURRENTLY outside a transaction');
    expect(result.stdout).toContain('Pre-upgrade checklist:');
    expect(result.stdout).toContain('Dry run: nothing was changed.');
    expect(await snapshot()).toBe(before);
    expect(backups()).toEqual(backupsBefore);
  });

  it('stops before any change while a transaction open longer than --long-transaction holds a lock on a table it changes', async () => {
    expect((await run(app, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    const worker = new pg.Client({ ...db.config, application_name: 'shop-worker' });
    await worker.connect();
    try {
      const pid = (await worker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await worker.query('BEGIN');
      await worker.query('SELECT count(*) FROM posts');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const before = await snapshot();
      const backupsBefore = backups();

      const blocked = await run(app, 'upgrade', '--to', '1.1.0', '--yes', '--long-transaction', '1s');
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stderr).toMatch(
        new RegExp(
          `The pre-upgrade checklist failed \\(long-transactions\\): pid ${pid} \\(shop-worker, idle in transaction\\) has held a lock on posts for \\d+s; nothing was changed`,
        ),
      );
      expect(blocked.stderr).toContain('pg_terminate_backend');
      expect(await snapshot()).toBe(before);
      expect(backups()).toEqual(backupsBefore);

      // Once that transaction ends, the same upgrade goes through.
      await worker.query('COMMIT');
      const upgraded = await run(app, 'upgrade', '--to', '1.1.0', '--yes', '--long-transaction', '1s');
      expect(upgraded.exitCode, upgraded.stderr).toBe(0);
      expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
    } finally {
      await worker.end().catch(() => {});
    }
  });

  it('a failing migration rolls back to the backup: schema and rows equal the pre-upgrade state, exit 1', async () => {
    expect((await run(failing, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    await db.query("INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com')");
    await db.query(
      "INSERT INTO posts (user_id, body) VALUES ('00000000-0000-0000-0000-000000000001', 'same'), ('00000000-0000-0000-0000-000000000001', 'same')",
    );
    const before = await snapshot();

    const result = await run(failing, 'upgrade', '--yes', '--json');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The upgrade failed during apply');
    expect(result.stderr).toContain('could not create unique index "posts_body_key"');
    expect(result.stderr).toContain('Rolled back');
    expect(await snapshot()).toBe(before);
    // What became of the database, as data: changed (back to the backup).
    const { error } = parseJson<{ ok: false; error: { database?: string; exitCode: number } }>(result.stdout);
    expect(error).toMatchObject({ database: 'changed', exitCode: 1 });
  });
});

describe('the run lock of a failed upgrade', () => {
  it('is held by one session from the backup through the automatic rollback, so no other run gets in between', async () => {
    expect((await run(failing, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    await db.query("INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com')");
    await db.query(
      "INSERT INTO posts (user_id, body) VALUES ('00000000-0000-0000-0000-000000000001', 'same'), ('00000000-0000-0000-0000-000000000001', 'same')",
    );
    const before = await snapshot();

    // Watches, from the postgres database, which sessions hold astra's lock on this database (or on it renamed aside).
    const watcher = new pg.Client(serverConfig());
    await watcher.connect();
    const holders = new Set<number>();
    let heldWhileRestoring = false;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const { rows } = await watcher.query<{ pid: number; restoring: boolean }>(
          `SELECT l.pid, EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name LIKE '% pg_restore' AND starts_with(a.datname, $1)) AS restoring
             FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND l.granted AND starts_with(d.datname, $1)
              AND ((l.classid::bigint << 32) | l.objid::bigint) = $2::bigint`,
          [db.name, ASTRA_LOCK_KEY],
        );
        for (const row of rows) {
          holders.add(row.pid);
          if (row.restoring) heldWhileRestoring = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const result = await run(failing, 'upgrade', '--yes');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('Rolled back');
      expect(await snapshot()).toBe(before);
    } finally {
      watching = false;
      await watch;
      await watcher.end();
    }
    expect(holders.size).toBe(1);
    expect(heldWhileRestoring).toBe(true);
  });
});

describe('the final doctor check', () => {
  it('does not undo a good upgrade for what was already wrong before it', async () => {
    expect((await run(app, 'upgrade', '--to', '1.1.0', '--yes')).exitCode).toBe(0);
    await db.query('DROP INDEX posts_created_at_idx');
    const result = await run(app, 'upgrade', '--yes', '--allow-breaking');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('astra doctor before the upgrade: already failing: schema-drift');
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Ctrl-C during an upgrade', () => {
  it('stops at the next safe point, between migrations, and says where the database stands', async () => {
    const slow = join(fixturesDir, 'upgrade-slow');
    const child = start(slow, 'upgrade', '--yes');
    await waitForStderr(child, '[OUTPUT] 002-slow-step.sql');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain(
      'Stopped at a safe point as asked: migration(s) 1, 2 were applied; the database is at migration 002-slow-step.sql.',
    );
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await db.query("SELECT 1 FROM pg_class WHERE relname = 'third_step'")).toHaveLength(0);
    expect(String(result.stderr).match(/Interrupted \(SIGINT\):/g)).toEqual(['Interrupted (SIGINT):']);
    expect(String(result.stderr)).toContain('Interrupted (SIGINT): stopping at the next safe point (after the current migration)');
  });

  it('during the automatic rollback of a failed upgrade: stops it, says so once, and leaves the database as the failure did', async () => {
    expect((await run(failing, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    // Enough rows that pg_restore is still running when the signal comes.
    await db.query("INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 400000) g");
    await db.query("INSERT INTO posts (user_id, body) SELECT id, 'same' FROM users ORDER BY email LIMIT 2");
    const result = await interruptedWhile(' pg_restore', failing, 'upgrade', '--yes');
    expect(result.exitCode).toBe(1);
    const stderr = String(result.stderr);
    expect(stderr.match(/Interrupted \(SIGINT\):/g)).toEqual(['Interrupted (SIGINT):']);
    expect(stderr).toContain('Interrupted (SIGINT): stopping the rollback and undoing what it started');
    expect(stderr).toMatch(
      /Restoring backup (\S+) failed too, changing nothing: Interrupted \(SIGINT\) while \S+ was being rolled back to backup \1: the restore was stopped and \S+ dropped; \S+ is as it was and accepts connections\. Migration\(s\) 3, 4 were applied\./,
    );
    expect(stderr).toMatch(/fix: Once the cause is fixed, restore the backup with astra rollback --to 1\.0\.0 --backup \S+\./);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
    expect(await db.query("SELECT datname FROM pg_database WHERE starts_with(datname, $1 || '__')", [db.name])).toEqual([]);
  });

  it('during the backup: stops pg_dump, says so once, removes the partial file and changes nothing', async () => {
    expect((await run(app, 'upgrade', '--to', '1.0.0', '--yes')).exitCode).toBe(0);
    // Enough rows that pg_dump is still running when the signal comes.
    await db.query("INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 400000) g");
    const before = await snapshot();
    const backupsBefore = backups();
    const result = await interruptedWhile(' pg_dump', app, 'upgrade', '--to', '1.1.0', '--yes');
    expect(result.exitCode).toBe(1);
    const stderr = String(result.stderr);
    expect(stderr.match(/Interrupted \(SIGINT\):/g)).toEqual(['Interrupted (SIGINT):']);
    expect(stderr).toContain('Interrupted (SIGINT): stopping the backup; no migration will be applied');
    expect(stderr).toMatch(
      /The upgrade failed during backup: Interrupted \(SIGINT\) while backup \S+ was being taken: the partial archive was removed and no backup was recorded/,
    );
    expect(stderr).toContain('fix: Run astra upgrade again when ready.');
    expect(await snapshot()).toBe(before);
    expect(backups()).toEqual(backupsBefore);
  });
});

describe('astra checklist', () => {
  it('renders the plan and preflight as a Markdown runbook', async () => {
    expect((await run(app, 'upgrade', '--to', '1.1.0', '--yes')).exitCode).toBe(0);
    const result = await run(app, 'checklist', '--format', 'md');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`1.1.0 → 1.2.0`);
    expect(result.stdout).toContain('**This upgrade has 1 breaking migration(s): stop the application before step 2.**');
    expect(result.stdout).toContain('## Before you start');
    expect(result.stdout).toMatch(/- \[x\] no INVALID indexes/);
    expect(result.stdout).toContain('astra backup create');
    expect(result.stdout).toContain('astra upgrade --to 1.2.0 --allow-breaking --yes');
    expect(result.stdout).toContain('astra rollback --to 1.1.0');
    expect(result.stdout).toContain('## Breaking changes and what to do');
    expect(result.stdout).toContain('`005-drop-legacy-token.sql` (1.2.0): Drops users.legacy_token');
  });
});
