import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { astra, startAstra } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';

/**
 * `kill -9` of `astra upgrade` at 20 points: planning, the backup and its
 * verification, each step of the apply phase on a table of 200,000 rows (a
 * concurrent index build at several depths, a constraint validated, a column
 * added), the doctor gate, and inside an automatic rollback's restore. After
 * each, the same `astra upgrade` converges: every migration applied once,
 * nothing dirty, the index valid, doctor ok, and every row still there.
 */
const ROWS = 200_000;

function bundle(): { migrations: string; releaseNotes: string } {
  const dir = mkdtempSync(join(tmpdir(), 'astra-kill-'));
  const migrations = join(dir, 'migrations');
  const releaseNotes = join(dir, 'release-notes');
  mkdirSync(migrations);
  mkdirSync(releaseNotes);
  const files: Record<string, string> = {
    // A key that costs a few microseconds a row: the index build lasts seconds, long enough to be cut at several depths.
    '001-items.sql':
      'CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL);\nCREATE TABLE gate (open boolean NOT NULL);\nCREATE FUNCTION costly_key(value int) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT md5(repeat(md5(value::text), 200)) $$;\n',
    '002-items-key-index.sql': 'CREATE INDEX items_key ON items (costly_key(v));\n',
    '003-items-check.sql': 'ALTER TABLE items ADD CONSTRAINT items_v_positive CHECK (v >= 0) NOT VALID;\n',
    '004-items-check-valid.sql': 'ALTER TABLE items VALIDATE CONSTRAINT items_v_positive;\n',
    '005-items-note.sql': 'ALTER TABLE items ADD COLUMN IF NOT EXISTS note text;\n',
    // Fails while the gate is closed: the upgrade then restores its backup.
    '006-gate.sql': 'SELECT 1 / (SELECT count(*) FROM gate WHERE open)::int;\n',
  };
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(migrations, name), sql);
  const release = (version: string, date: string, names: string[]) =>
    `---\nversion: ${version}\ndate: ${date}\nstop_application: false\nmigrations:\n${names.map((name) => `  - file: ${name}\n    safety: safe\n`).join('')}---\n\n# ${version}\n`;
  writeFileSync(join(releaseNotes, '1.0.0.md'), release('1.0.0', '2026-01-10', ['001-items.sql']));
  writeFileSync(
    join(releaseNotes, '1.1.0.md'),
    release('1.1.0', '2026-02-10', ['002-items-key-index.sql', '003-items-check.sql', '004-items-check-valid.sql', '005-items-note.sql', '006-gate.sql']),
  );
  return { migrations, releaseNotes };
}

/**
 * Where to kill: once `after` is printed (when `following` is given, the first
 * `after` printed after it: the plan, printed first, names every file), this
 * long after it; or once the index build has scanned `builtShare` of the
 * table. `serverGoesToo`: the server's session ends with the client (a lost
 * machine), so an index build stops half way; otherwise it goes on alone, as
 * it does after a kill, holding astra's run lock until it ends.
 */
interface KillPoint {
  name: string;
  following?: string;
  after?: string;
  delayMs?: number;
  builtShare?: number;
  serverGoesToo?: boolean;
  /** The gate stays closed: migration 006 fails and the kill lands in the automatic rollback. */
  failing?: boolean;
  /** The kill leaves the database refusing connections (the swap's guard), which astra's next command lifts. */
  reopens?: boolean;
}

const apply = 'Apply 5 migration(s)';
const index = '002-items-key-index.sql: CREATE INDEX CONCURRENTLY';
const points: KillPoint[] = [
  { name: 'once planned, before the backup', after: 'Pre-upgrade checklist' },
  { name: 'as pg_dump starts', after: 'Dump ' },
  { name: 'during pg_dump', after: 'Dump ', delayMs: 150 },
  { name: 'once the archive is saved', after: 'Saved backup' },
  { name: 'while the backup is verified', after: 'verifying' },
  { name: 'as the apply step starts', after: apply },
  { name: 'as the index migration starts', following: apply, after: '002-items-key-index.sql' },
  { name: 'as the concurrent index build starts', following: apply, after: index },
  { name: 'a quarter into the index build', builtShare: 0.25 },
  { name: 'a quarter into the index build, the server session lost too', builtShare: 0.25, serverGoesToo: true },
  { name: 'three quarters into the index build', builtShare: 0.75 },
  { name: 'three quarters into the index build, the server session lost too', builtShare: 0.75, serverGoesToo: true },
  { name: 'as the constraint is added NOT VALID', following: apply, after: '003-items-check.sql' },
  { name: 'while the constraint is validated', following: apply, after: '004-items-check-valid.sql', delayMs: 5 },
  { name: 'as the column is added', following: apply, after: '005-items-note.sql' },
  { name: 'between two migrations', after: '✔ 005-items-note.sql' },
  { name: 'in the doctor gate', after: 'Applied 5 migration(s)' },
  { name: 'as the automatic rollback starts', after: 'Restoring backup', failing: true },
  { name: 'while the rollback restores', after: 'into the new database', delayMs: 100, failing: true },
  { name: 'with new connections refused until the swap', after: 'are refused until the swap', failing: true, reopens: true },
];

/** Resolves once `text` is printed on stderr, after `following` when given. */
function printed(child: ReturnType<typeof startAstra>, text: string, following?: string): Promise<void> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    const look = () => {
      const from = following === undefined ? 0 : stderr.indexOf(following);
      if (from >= 0 && stderr.indexOf(text, from + (following?.length ?? 0)) >= 0) resolve();
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      look();
    });
    void child.then(() => reject(new Error(`the command ended before printing "${text}"${following ? ` after "${following}"` : ''}; it printed:\n${stderr}`)));
  });
}

/** Resolves once the concurrent build of items_key has scanned `share` of the table. */
async function built(db: TestDatabase, share: number, ended: Promise<unknown>): Promise<void> {
  await waitUntil(
    `the index build scanned ${share * 100}% of items`,
    async () => {
      const rows = await db.query<{ done: number }>(
        `SELECT blocks_done::float / nullif(blocks_total, 0) AS done FROM pg_stat_progress_create_index
          WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND phase = 'building index: scanning table'`,
      );
      return (rows[0]?.done ?? 0) >= share;
    },
    { ended, intervalMs: 20 },
  );
}

async function items(db: TestDatabase): Promise<unknown> {
  return db.query('SELECT count(*)::int AS n, sum(v)::bigint AS total FROM items');
}

describe('kill -9 of astra upgrade, then the same upgrade again', () => {
  it.each(points)('$name', async ({ following, after, delayMs, builtShare, serverGoesToo, failing, reopens }) => {
    const db = await createTestDatabase();
    try {
      const { migrations, releaseNotes } = bundle();
      const backups = mkdtempSync(join(tmpdir(), 'astra-kill-backups-'));
      const args = ['--migrations-dir', migrations, '--release-notes-dir', releaseNotes, '--backup-dir', backups];
      const env = { DATABASE_URL: db.url };
      const first = await astra(['upgrade', '--to', '1.0.0', '--yes', ...args], { env });
      expect(first.exitCode, first.stderr).toBe(0);
      await db.query(`INSERT INTO items SELECT g, g % 997 FROM generate_series(1, ${ROWS}) g`);
      if (!failing) await db.query('INSERT INTO gate VALUES (true)');
      const before = await items(db);

      // A session of "the application": the rollback ends it after refusing new connections, then polls; the kill lands in that window.
      const application = reopens ? await db.connect() : undefined;
      application?.on('error', () => {});
      const child = startAstra(['upgrade', '--yes', ...args], { env });
      if (builtShare !== undefined) await built(db, builtShare, child);
      else await printed(child, after!, following);
      if (delayMs) await sleep(delayMs);
      child.kill('SIGKILL');
      // Killed where it was meant to be, not after it had ended on its own.
      expect((await child).signal).toBe('SIGKILL');
      await application?.end().catch(() => {});
      if (serverGoesToo) {
        await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'astra %'`);
      }

      if (failing) {
        // The cause fixed (the gate opened) once astra's next command has opened the database again, if the kill left it refusing connections.
        const status = await astra(['status', ...args], { env });
        expect(status.exitCode, status.stderr).toBe(0);
        if (reopens)
          expect(status.stderr).toMatch(/still refused new connections, as an astra rollback stopped during its swap left it: they are allowed again/);
        await db.query('INSERT INTO gate VALUES (true)');
      }
      const rerun = await astra(['upgrade', '--yes', '--lock-wait', '2m', ...args], { env });
      expect(rerun.exitCode, rerun.stderr).toBe(0);
      expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await db.query('SELECT count(*)::int AS n FROM astra_migrations WHERE dirty')).toEqual([{ n: 0 }]);
      expect(await db.query(`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_key'`)).toEqual([
        { valid: true },
      ]);
      expect(await items(db)).toEqual(before);
      const doctor = await astra(['doctor', ...args], { env });
      expect(doctor.exitCode, doctor.stdout).toBe(0);
      // Whoever the application connects as can connect again (a rollback refuses new connections until its swap).
      expect(await db.query(`SELECT has_database_privilege('public', current_database(), 'CONNECT') AS connect`)).toEqual([{ connect: true }]);
    } finally {
      await db.drop().catch(() => {});
    }
  });
});
