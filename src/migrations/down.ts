import type { Database } from '../db/database.js';
import { compareVersions, type MigrationVersion } from '../migration-version.js';
import { versionList } from '../ui/format.js';
import { Ledger, type LedgerRow } from '../db/ledger.js';
import { inputError, operationError } from '../errors.js';
import { MigrationRunner } from './apply.js';
import { loadDownStatements, loadMigrations, type Migration } from './load.js';
import type { Statement } from './parse.js';
import { checkTargetVersion, planUp } from './plan.js';
import { migrationLabel, runnerEventsFor } from './report.js';
import type { Context } from '../engine/context.js';
import { withDatabase, withRunLock } from '../engine/run-lock.js';
import { applyPending, type AppliedEntry, type RunOptions } from './runner.js';

/**
 * Undoes the applied migrations that `select` picks, newest first, with their
 * .down.sql files, on `db`, whose caller holds astra's run lock. Every down
 * file is read and parsed before anything runs.
 */
async function revertSelected(
  context: Context,
  db: Database,
  migrations: Migration[],
  options: RunOptions,
  select: (applied: LedgerRow[]) => LedgerRow[],
): Promise<AppliedEntry[]> {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const ledger = await Ledger.open(db, { create: false });
  const rows = await ledger.rows();
  // Refuses on drift, unknown versions and dirty state, as `up` does.
  planUp(migrations, rows);
  const chosen = select(rows).sort((a, b) => compareVersions(b.version, a.version));
  const work: { migration: Migration; down: Statement[] }[] = [];
  for (const row of chosen) {
    const migration = byVersion.get(row.version);
    if (!migration) throw operationError(`Migration ${row.version} is applied but has no file here.`, 'Point --migrations-dir at the folder that holds it.');
    work.push({ migration, down: await loadDownStatements(context.migrationsDir, migration) });
  }
  if (work.length === 0) {
    context.log.info('No applied migrations to undo.');
    return [];
  }
  context.log.info(`Undoing ${work.length} migration(s) on ${db.target.label}`);
  const runner = new MigrationRunner(db, ledger, options.lockPolicy, runnerEventsFor(context.log, 'undone'));
  await runner.prepareSession();
  const undone: AppliedEntry[] = [];
  for (const { migration, down } of work) {
    const durationMs = await runner.revert(migration, down);
    undone.push({ version: migration.version, name: migration.name, file: migration.downFile ?? migration.file, durationMs: Math.round(durationMs) });
  }
  context.log.info(`Undid ${undone.length} migration(s): ${versionList(undone.map((entry) => entry.version))}`);
  return undone;
}

/** `astra migrate down [N]`: undoes the last N applied migrations (1 when N is not given). */
export async function migrateDown(context: Context, options: RunOptions & { count: number }): Promise<{ undone: AppliedEntry[] }> {
  if (options.count < 1) throw inputError('migrate down needs a count of at least 1.', 'Run astra migrate down 1 to undo the last migration.');
  const migrations = await loadMigrations(context.migrationsDir, context.versions);
  const undone = await withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, () =>
      revertSelected(context, db, migrations, options, (rows) => [...rows].sort((a, b) => compareVersions(b.version, a.version)).slice(0, options.count)),
    ),
  );
  return { undone };
}

/**
 * `astra migrate goto V`: up or down until exactly the migrations up to V are
 * applied, both under one hold of the run lock, so that no other run comes
 * between the two.
 */
export async function migrateGoto(context: Context, options: RunOptions & { version: MigrationVersion }): Promise<{ undone: AppliedEntry[]; applied: AppliedEntry[] }> {
  const migrations = await loadMigrations(context.migrationsDir, context.versions);
  checkTargetVersion(migrations, options.version, 'goto');
  return withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, async () => {
      const undone = await revertSelected(context, db, migrations, options, (rows) => rows.filter((row) => compareVersions(row.version, options.version) > 0));
      const { applied } = options.version === 0 ? { applied: [] } : await applyPending(context, db, migrations, { ...options, to: options.version });
      if (applied.length > 0) context.log.info(`Applied ${applied.length} migration(s): ${versionList(applied.map((entry) => entry.version))}`);
      if (undone.length === 0 && applied.length === 0) context.log.info(`${db.target.label} is already at version ${options.version}.`);
      return { undone, applied };
    }),
  );
}

/**
 * `astra migrate force V` (golang-migrate's meaning): record that the database
 * stands at V (every migration up to V applied, none above), clear the dirty
 * flag, and run no SQL of the migrations.
 */
export async function migrateForce(context: Context, options: RunOptions & { version: MigrationVersion }): Promise<{ version: MigrationVersion }> {
  const migrations = await loadMigrations(context.migrationsDir, context.versions);
  checkTargetVersion(migrations, options.version, 'force');
  await withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, async () => {
      const ledger = await Ledger.open(db, { create: true });
      await ledger.forceTo(options.version, migrations);
      const forced = migrations.find((migration) => migration.version === options.version);
      context.log.info(`Recorded ${db.target.label} as being at ${forced ? migrationLabel(forced) : 'version 0 (no migrations)'}; no migration SQL was run.`);
    }),
  );
  return { version: options.version };
}
