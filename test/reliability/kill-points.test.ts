import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { astra, startAstra, waitForStderr } from '../helpers/cli.js';
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

/** Where to kill: after this line of the upgrade's output, and this long after it. */
interface KillPoint {
  name: string;
  after: string;
  delayMs: number;
  /** The gate stays closed: migration 005 fails and the kill lands in the automatic rollback. */
  failing?: boolean;
}

const index = '002-items-key-index.sql: CREATE INDEX CONCURRENTLY';
const points: KillPoint[] = [
  { name: 'while it plans', after: 'Upgrade plan for', delayMs: 0 },
  { name: 'as pg_dump starts', after: 'Dump ', delayMs: 0 },
  { name: 'during pg_dump', after: 'Dump ', delayMs: 150 },
  { name: 'once the archive is saved', after: 'Saved backup', delayMs: 0 },
  { name: 'while the backup is verified', after: 'verifying', delayMs: 100 },
  { name: 'as the apply step starts', after: 'Apply 5 migration(s)', delayMs: 0 },
  { name: 'as the index migration starts', after: '002-items-key-index.sql', delayMs: 0 },
  { name: 'as the concurrent index build starts', after: index, delayMs: 0 },
  { name: 'early in the index build', after: index, delayMs: 300 },
  { name: 'half way through the index build', after: index, delayMs: 1200 },
  { name: 'late in the index build', after: index, delayMs: 2500 },
  { name: 'as the constraint is added NOT VALID', after: '003-items-check.sql', delayMs: 0 },
  { name: 'while the constraint is validated', after: '004-items-check-valid.sql', delayMs: 5 },
  { name: 'as the column is added', after: '005-items-note.sql', delayMs: 0 },
  { name: 'between two migrations', after: '✔ 005-items-note.sql', delayMs: 0 },
  { name: 'in the doctor gate', after: 'Applied 5 migration(s)', delayMs: 0 },
  { name: 'as the automatic rollback starts', after: 'Restoring backup', delayMs: 0, failing: true },
  { name: 'while the rollback restores', after: 'into the new database', delayMs: 100, failing: true },
  { name: 'late in the rollback restore', after: 'into the new database', delayMs: 600, failing: true },
  { name: 'as the rollback swaps the databases', after: 'into the new database', delayMs: 1500, failing: true },
];

async function items(db: TestDatabase): Promise<unknown> {
  return db.query('SELECT count(*)::int AS n, sum(v)::bigint AS total FROM items');
}

describe('kill -9 of astra upgrade, then the same upgrade again', () => {
  it.each(points)('$name', async ({ after, delayMs, failing }) => {
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

      const child = startAstra(['upgrade', '--yes', ...args], { env });
      await waitForStderr(child, after);
      if (delayMs > 0) await sleep(delayMs);
      child.kill('SIGKILL');
      await child;

      if (failing) await db.query('INSERT INTO gate VALUES (true)');
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
    } finally {
      await db.drop().catch(() => {});
    }
  });
});
