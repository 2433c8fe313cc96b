import type { Database } from '../db/database.js';
import { Ledger } from '../db/ledger.js';
import { DEFAULT_LOCK_POLICY, MigrationRunner, type LockPolicy } from '../migrations/apply.js';
import { loadMigrations, type Migration } from '../migrations/load.js';
import { checkTargetVersion, planUp } from '../migrations/plan.js';
import { migrationLabel, runnerEventsFor } from '../ui/migration-report.js';
import { withDatabase, withRunLock, type Context } from './context.js';

export interface RunOptions {
  lockWaitMs: number;
  lockPolicy: LockPolicy;
}

export const DEFAULT_LOCK_WAIT_MS = 10 * 60_000;
export const DEFAULT_RUN_OPTIONS: RunOptions = { lockWaitMs: DEFAULT_LOCK_WAIT_MS, lockPolicy: DEFAULT_LOCK_POLICY };

export interface AppliedEntry {
  version: number;
  name: string;
  file: string;
  durationMs: number;
}

export interface UpResult {
  applied: AppliedEntry[];
  skipped: number[];
  wouldApply: number[];
}

const entry = (migration: Migration, durationMs: number): AppliedEntry => ({
  version: migration.version,
  name: migration.name,
  file: migration.file,
  durationMs: Math.round(durationMs),
});

/**
 * Applies the pending migrations (up to `options.to`) on `db`, whose caller
 * holds astra's run lock: a resumed unfinished migration first, then the rest
 * in order.
 */
export async function applyPending(context: Context, db: Database, migrations: Migration[], options: RunOptions & { to?: number }): Promise<UpResult> {
  const { log } = context;
  const ledger = await Ledger.open(db, { create: true });
  const plan = planUp(migrations, await ledger.rows(), options.to);
  log.info(`Migrating ${db.target.label} with ${context.migrationsDir}`);
  const runner = new MigrationRunner(db, ledger, options.lockPolicy, runnerEventsFor(log));
  await runner.prepareSession();
  const applied: AppliedEntry[] = [];
  if (plan.resume) {
    const { migration, fromStatement, row } = plan.resume;
    log.info(
      `Migration ${migrationLabel(migration)} was left unfinished${row.error ? ` (${row.error})` : ''}; finishing it from statement ${fromStatement + 1}.`,
    );
    applied.push(entry(migration, await runner.apply(migration, fromStatement)));
  }
  for (const migration of plan.pending) applied.push(entry(migration, await runner.apply(migration)));
  return { applied, skipped: plan.skipped, wouldApply: [] };
}

/** `astra migrate up [--to N] [--dry-run]`. */
export async function migrateUp(context: Context, options: RunOptions & { to?: number; dryRun?: boolean }): Promise<UpResult> {
  const migrations = await loadMigrations(context.migrationsDir);
  if (options.to !== undefined) checkTargetVersion(migrations, options.to, '--to');
  const { log } = context;
  const result = await withDatabase(context, async (db) => {
    if (options.dryRun) {
      const ledger = await Ledger.open(db, { create: false });
      const plan = planUp(migrations, await ledger.rows(), options.to);
      log.info(`Dry run on ${db.target.label}: nothing is changed.`);
      if (plan.resume) log.info(`  would resume ${migrationLabel(plan.resume.migration)} at statement ${plan.resume.fromStatement + 1}`);
      for (const migration of plan.pending) {
        const outside = migration.statements.filter((statement) => statement.outsideTransaction);
        log.info(
          `  would apply ${migrationLabel(migration)}${outside.length ? ` (${outside.length} statement(s) outside a transaction: ${outside.map((s) => s.outsideTransaction).join(', ')})` : ''}`,
        );
      }
      const wouldApply = [...(plan.resume ? [plan.resume.migration.version] : []), ...plan.pending.map((migration) => migration.version)];
      return { applied: [], skipped: plan.skipped, wouldApply };
    }
    return withRunLock(context, db, options.lockWaitMs, () => applyPending(context, db, migrations, options));
  });
  if (!options.dryRun) {
    log.info(
      result.applied.length > 0
        ? `Applied ${result.applied.length} migration(s): ${result.applied.map((applied) => applied.version).join(', ')}`
        : 'No migrations to apply: the database is up to date.',
    );
  } else {
    log.info(
      result.wouldApply.length > 0
        ? `Would apply ${result.wouldApply.length} migration(s): ${result.wouldApply.join(', ')}`
        : 'Nothing to apply: the database is up to date.',
    );
  }
  if (result.skipped.length > 0) log.info(`Skipped ${result.skipped.length} already-applied migration(s)`);
  return result;
}
