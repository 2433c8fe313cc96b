import type { Database } from '../db/database.js';
import { type MigrationVersion, compareVersions } from '../migration-version.js';
import { versionList } from '../ui/format.js';
import { Ledger } from '../db/ledger.js';
import { refuseFalseFreshStart } from './fresh.js';
import type { Context } from '../engine/context.js';
import { whileWatching } from '../engine/interrupt.js';
import { withDatabaseWhile, withRunLock } from '../engine/run-lock.js';
import { AstraError, EXIT_FAILED, errorMessage } from '../errors.js';
import { DEFAULT_LOCK_POLICY, MigrationRunner, type LockPolicy, type RunnerEvents } from './apply.js';
import { loadMigrations, loadRepeatables, type Migration, type Repeatable } from './load.js';
import { RepeatableLedger } from '../db/repeatable-ledger.js';
import { inputError } from '../errors.js';
import { checkTargetVersion, planUp, wasInterrupted, type UpPlan } from './plan.js';
import { migrationLabel, runnerEventsFor } from './report.js';
import { DEFAULT_LOCK_WAIT_MS } from '../defaults.js';
import type { CatalogReport } from '../seed/run.js';

/**
 * The one runner behind `migrate up`, `upgrade` and the library's `migrate()`,
 * in named steps: load → lock → ensure ledger → check drift and plan → apply →
 * unlock. `upgrade` holds the lock itself (from before its backup) and runs
 * the steps from "ensure ledger" on.
 */

export interface RunOptions {
  lockWaitMs: number;
  lockPolicy: LockPolicy;
}


export { DEFAULT_LOCK_WAIT_MS };
export const DEFAULT_RUN_OPTIONS: RunOptions = { lockWaitMs: DEFAULT_LOCK_WAIT_MS, lockPolicy: DEFAULT_LOCK_POLICY };

export interface AppliedEntry {
  version: MigrationVersion;
  name: string;
  file: string;
  durationMs: number;
}

export interface UpResult {
  applied: AppliedEntry[];
  skipped: MigrationVersion[];
  wouldApply: MigrationVersion[];
  /** What the seed catalogs did after the migrations (or would do, in a dry run); absent when the database declares none. */
  seeds?: CatalogReport[];
  /** Repeatable migrations (R__ files) applied after the versioned ones, because they are new or changed; absent when the folder has none. */
  repeatablesApplied?: string[];
  /** In a dry run: the repeatable migrations that would be applied. */
  repeatablesWouldApply?: string[];
}

/** One migration to run: a pending one from its start, or an unfinished one from the statement it stopped at. */
export interface Work {
  migration: Migration;
  /** Resuming an unfinished migration from this statement. */
  fromStatement?: number;
  /** It was left unfinished because astra was stopped (killed, cut off), not because a statement failed. */
  interrupted?: boolean;
}

/** The run was stopped between two migrations, as asked: says what was applied before it stopped. */
export class MigrationsStoppedError extends AstraError {
  constructor(
    readonly applied: AppliedEntry[],
    readonly remaining: number,
  ) {
    const last = applied.at(-1);
    super(
      `Stopped at a safe point as asked: ${applied.length ? `migration(s) ${applied.map((entry) => entry.version).join(', ')} were applied; the database is at migration ${last!.file}` : 'no migration was applied'}; ${remaining} migration(s) were not run.`,
      {
        exitCode: EXIT_FAILED,
        fix: 'Run astra migrate up again to apply the rest.',
        database: applied.length > 0 ? 'changed' : 'unchanged',
        ...(last ? { schemaVersion: last.version } : {}),
      },
    );
    this.name = 'MigrationsStoppedError';
  }
}

/**
 * A run's failure, after which the commit that waits for the migrations
 * before it to reach the disk failed too (the connection lost, most often):
 * said together, as not known.
 */
function alsoUnconfirmed(failure: unknown, unconfirmed: AstraError): AstraError {
  return new AstraError(`${errorMessage(failure).replace(/\.$/, '')}. Then: ${unconfirmed.message}`, {
    exitCode: EXIT_FAILED,
    cause: failure,
    database: 'unknown',
    ...(unconfirmed.fix ? { fix: unconfirmed.fix } : {}),
  });
}

const entry = (migration: Migration, durationMs: number): AppliedEntry => ({
  version: migration.version,
  name: migration.name,
  file: migration.file,
  durationMs: Math.round(durationMs),
});

/** Step "load": the migrations folder, read and parsed, and the target checked against it. */
export async function loadStep(context: Pick<Context, 'migrationsDir' | 'versions'>, to: MigrationVersion | undefined): Promise<Migration[]> {
  // The runner needs the parser only to build an index on a partitioned table, and loads it there (MigrationRunner).
  const migrations = await loadMigrations(context.migrationsDir, context.versions, { parser: 'unneeded' });
  if (to !== undefined) checkTargetVersion(migrations, to, '--to');
  return migrations;
}

/** Step "ensure ledger": created when missing, under the run lock, so that replicas starting together create it once. */
export async function ensureLedgerStep(db: Database): Promise<Ledger> {
  return Ledger.open(db, { create: true });
}

/**
 * Step "check drift and plan": refuses on edited files, unknown versions, a
 * hole in the ledger, an unfinished migration that cannot resume, or an
 * empty ledger on a database that already has the migrations' tables.
 */
export async function planStep(db: Database, ledger: Ledger, migrations: Migration[], to?: MigrationVersion): Promise<UpPlan<Migration>> {
  const rows = await ledger.rows();
  const plan = planUp(migrations, rows, to);
  if (plan.pending.length > 0) await refuseFalseFreshStart(db, migrations, rows);
  return plan;
}

/** The plan as the list of migrations to run, in order: an unfinished one first. */
export function workOf(plan: UpPlan<Migration>): Work[] {
  const resume = plan.resume;
  return [
    ...(resume ? [{ migration: resume.migration, fromStatement: resume.fromStatement, interrupted: wasInterrupted(resume.row) }] : []),
    ...plan.pending.map((migration) => ({ migration })),
  ];
}

/**
 * Step "apply": the one loop that applies migrations, each in its own
 * transaction with its ledger row (see MigrationRunner). An abort of `signal`
 * is honoured between migrations: the current one finishes, the rest do not
 * start, and MigrationsStoppedError says what was applied.
 */
export async function applyStep(
  db: Database,
  ledger: Ledger,
  work: Work[],
  options: { lockPolicy: LockPolicy; events?: RunnerEvents; signal?: AbortSignal | undefined; onApplied?: (entry: AppliedEntry) => void },
): Promise<AppliedEntry[]> {
  // Before the first migration, as the role that logged in: a ledger about to record a dotted version takes it first.
  await ledger.holdVersions(work.map((item) => item.migration.version));
  const runner = new MigrationRunner(db, ledger, options.lockPolicy, options.events ?? {});
  await runner.prepareSession();
  const applied: AppliedEntry[] = [];
  try {
    for (const [index, { migration, fromStatement, interrupted }] of work.entries()) {
      if (options.signal?.aborted) throw new MigrationsStoppedError(applied, work.length - index);
      const done = entry(migration, await runner.apply(migration, fromStatement ?? 0, fromStatement !== undefined, interrupted === true));
      applied.push(done);
      options.onApplied?.(done);
    }
  } catch (error) {
    // What was applied before the failure is made durable as well; the failure is what is reported, with what the wait could not confirm.
    const unconfirmed = await runner.flush().then(
      () => undefined,
      (flushFailure: unknown) => flushFailure,
    );
    // A stop as asked stays one (upgrade and serve act on it); the lost connection will show on the next run.
    throw unconfirmed instanceof AstraError && !(error instanceof MigrationsStoppedError) ? alsoUnconfirmed(error, unconfirmed) : error;
  }
  // Every migration committed without waiting for the disk: one wait for all of them, before the run says they are applied.
  await runner.flush();
  return applied;
}

/**
 * Applies the pending migrations (up to `options.to`) on `db`, whose caller
 * holds astra's run lock: check drift and plan → ensure ledger → apply.
 */
export async function applyPending(context: Context, db: Database, migrations: Migration[], options: RunOptions & { to?: MigrationVersion }): Promise<UpResult> {
  const { log } = context;
  // Planned before the ledger is created: a refusal leaves the database as it was.
  const found = await Ledger.open(db, { create: false });
  const plan = await planStep(db, found, migrations, options.to);
  const ledger = found.exists ? found : await ensureLedgerStep(db);
  log.info(`Migrating ${db.target.label} with ${context.migrationsDir}`);
  if (plan.resume) {
    const { migration, fromStatement, row } = plan.resume;
    log.info(`Migration ${migrationLabel(migration)} was left unfinished${row.error ? ` (${row.error})` : ''}; finishing it from statement ${fromStatement + 1}.`);
  }
  const work = workOf(plan);
  if (context.signal?.aborted) throw new MigrationsStoppedError([], work.length);
  // Ctrl-C (or an abort) lets the running migration finish, then stops.
  const applied = await whileWatching(
    context.signal,
    (line) => log.warn(line),
    (watch) => applyStep(db, ledger, work, { lockPolicy: options.lockPolicy, events: runnerEventsFor(log), signal: watch.signal }),
    { announce: (signal) => `Interrupted (${signal}): stopping at the next safe point (after the current migration)…` },
  );
  return { applied, skipped: plan.skipped, wouldApply: [] };
}

/**
 * The repeatable migrations (Flyway's R__) of the folder. A database that
 * takes a range of versions of its folder (a project's, where databases
 * share one) cannot say that a repeatable migration, which has no version,
 * is its own: refused there.
 */
export async function loadRepeatablesStep(context: Pick<Context, 'migrationsDir' | 'versions'>): Promise<Repeatable[]> {
  const repeatables = await loadRepeatables(context.migrationsDir);
  refuseRangedRepeatables(context, repeatables);
  return repeatables;
}

export function refuseRangedRepeatables(context: Pick<Context, 'migrationsDir' | 'versions'>, repeatables: { file: string }[]): void {
  const [first] = repeatables;
  if (!first || !context.versions) return;
  throw inputError(
    `This database takes the versions ${context.versions.from}–${context.versions.to} of ${context.migrationsDir}, and the repeatable migration ${first.file} there has no version to say it is this database's; nothing was applied.`,
    'Give the database a migrations folder of its own without versions in the project file, or make the repeatable migration a numbered one.',
  );
}

/** The repeatable migrations new or changed since they were last applied (their checksum differs from the one recorded). */
export async function changedRepeatables(db: Database, ledger: Ledger, repeatables: Repeatable[]): Promise<Repeatable[]> {
  if (repeatables.length === 0) return [];
  return (await RepeatableLedger.open(db, ledger)).changed(repeatables);
}

/** The runner's view of a repeatable migration: a migration with no version, named by its file. */
function repeatableView(repeatable: Repeatable): Migration {
  return { ...repeatable, version: 0, digits: 'R', style: 'flyway', repeatable: true };
}

/**
 * Step "repeatables": after the versioned migrations, each repeatable one
 * that is new or changed runs in its own transaction, with the row that
 * records its checksum; in description order, as Flyway runs them.
 */
export async function applyRepeatablesStep(
  context: Context,
  db: Database,
  repeatables: Repeatable[],
  options: { lockPolicy: LockPolicy; signal?: AbortSignal | undefined; onApplied?: (file: string) => void },
): Promise<string[]> {
  if (repeatables.length === 0) return [];
  const ledger = await Ledger.open(db, { create: true });
  const record = await RepeatableLedger.open(db, ledger);
  const changed = await record.changed(repeatables);
  if (changed.length === 0) return [];
  const runner = new MigrationRunner(db, ledger, options.lockPolicy, runnerEventsFor(context.log));
  await runner.prepareSession();
  const applied: string[] = [];
  for (const [index, repeatable] of changed.entries()) {
    if (options.signal?.aborted) {
      throw new AstraError(
        `Stopped at a safe point as asked: ${applied.length > 0 ? `repeatable migration(s) ${applied.join(', ')} were applied` : 'every versioned migration was applied'}; ${changed.length - index} repeatable migration(s) were not run.`,
        { exitCode: EXIT_FAILED, fix: 'Run astra migrate up again to apply the rest.', database: 'changed' },
      );
    }
    await runner.applyRepeatable(repeatableView(repeatable), (before, durationMs) =>
      record.recordApplied({ name: repeatable.name, file: repeatable.file, checksum: repeatable.checksum, durationMs }, before),
    );
    applied.push(repeatable.file);
    options.onApplied?.(repeatable.file);
  }
  context.log.info(`Applied ${applied.length} repeatable migration(s): ${applied.join(', ')}`);
  return applied;
}

/** What a dry run would apply, read without the lock and without creating the ledger. */
async function dryRun(context: Context, db: Database, migrations: Migration[], to: MigrationVersion | undefined): Promise<UpResult> {
  const { log } = context;
  const ledger = await Ledger.open(db, { create: false });
  const plan = await planStep(db, ledger, migrations, to);
  log.info(`Dry run on ${db.target.label}: nothing is changed.`);
  if (plan.resume) log.info(`  would resume ${migrationLabel(plan.resume.migration)} at statement ${plan.resume.fromStatement + 1}`);
  for (const migration of plan.pending) {
    const outside = migration.statements.filter((statement) => statement.outsideTransaction);
    log.info(
      `  would apply ${migrationLabel(migration)}${outside.length ? ` (${outside.length} statement(s) outside a transaction: ${outside.map((s) => s.outsideTransaction).join(', ')})` : ''}`,
    );
  }
  return { applied: [], skipped: plan.skipped, wouldApply: workOf(plan).map((work) => work.migration.version) };
}

/** What migrate up reads before it connects: the migrations, and when it runs to the end, the repeatable ones and the seed catalogs. */
async function loadUp(context: Context, to: MigrationVersion | undefined) {
  const migrations = await loadStep(context, to);
  // Catalogs go with the whole set of migrations: a run that stops (--to) before the last one leaves them for later.
  const newest = migrations.at(-1)?.version;
  const toTheEnd = to === undefined || newest === undefined || compareVersions(to, newest) >= 0;
  const catalogs = toTheEnd ? (context.seeds ?? []) : [];
  // Repeatable migrations run after the last versioned one: a run that stops before it leaves them for later, as catalogs.
  const repeatables = toTheEnd ? await loadRepeatablesStep(context) : [];
  const seeding = catalogs.length > 0 ? await import('../seed/run.js') : undefined;
  // A catalog that is not even valid JSON stops the run before anything changes.
  if (seeding) for (const catalog of catalogs) seeding.loadCatalog(catalog);
  return { migrations, repeatables, catalogs, seeding };
}

/** `astra migrate up [--to N] [--dry-run]` and the library's `migrate()`: load → lock → ensure ledger → plan → apply → seed catalogs → unlock. */
export async function migrateUp(context: Context, options: RunOptions & { to?: MigrationVersion; dryRun?: boolean; allowBreaking?: boolean }): Promise<UpResult> {
  const { log } = context;
  // The connection opens while the files are read and parsed.
  return withDatabaseWhile(context, () => loadUp(context, options.to), async (db, { migrations, repeatables, catalogs, seeding }) => {
    const seed = async () =>
      seeding
        ? { seeds: (await seeding.seedDatabase(context, db, { dryRun: options.dryRun === true, allowBreaking: options.allowBreaking, command: 'astra migrate up' })).seeds }
        : {};
    if (options.dryRun) {
      const result = await dryRun(context, db, migrations, options.to);
      log.info(
        result.wouldApply.length > 0
          ? `Would apply ${result.wouldApply.length} migration(s): ${versionList(result.wouldApply)}`
          : 'Nothing to apply: the database is up to date.',
      );
      logSkipped(context, result);
      // Catalogs are compared with the tables as the migrations leave them: with some pending, that is after the run.
      if (repeatables.length > 0) {
        const ledger = await Ledger.open(db, { create: false });
        const changed = (await changedRepeatables(db, ledger, repeatables)).map((repeatable) => repeatable.file);
        for (const file of changed) log.info(`  would apply the repeatable migration ${file}`);
        result.repeatablesWouldApply = changed;
      }
      if (seeding && result.wouldApply.length > 0) {
        log.info(`Seed catalogs (${catalogs.length}) are applied after the migrations; see them with astra seed --dry-run once these are applied.`);
        return result;
      }
      return { ...result, ...(await seed()) };
    }
    return withRunLock(context, db, options.lockWaitMs, async () => {
      const result = await applyPending(context, db, migrations, options);
      log.info(
        result.applied.length > 0
          ? `Applied ${result.applied.length} migration(s): ${versionList(result.applied.map((applied) => applied.version))}`
          : 'No migrations to apply: the database is up to date.',
      );
      logSkipped(context, result);
      if (repeatables.length > 0) {
        const applied: string[] = [];
        result.repeatablesApplied = applied;
        await whileWatching(
          context.signal,
          (line) => log.warn(line),
          (watch) => applyRepeatablesStep(context, db, repeatables, { lockPolicy: options.lockPolicy, signal: watch.signal, onApplied: (file) => applied.push(file) }),
          { announce: (signal) => `Interrupted (${signal}): stopping at the next safe point (after the current repeatable migration)…` },
        ).catch((error: unknown) => {
          throw repeatableFailure(error, result);
        });
      }
      try {
        return { ...result, ...(await seed()) };
      } catch (error) {
        throw seedFailure(error, result);
      }
    });
  });
}

/**
 * A repeatable migration that failed after others (versioned or repeatable)
 * were applied in this run: the error names what was kept, says the database
 * changed, and --json keeps what was applied.
 */
function repeatableFailure(error: unknown, result: UpResult): unknown {
  const kept = [...result.applied.map((applied) => applied.file), ...(result.repeatablesApplied ?? [])];
  if (!(error instanceof AstraError) || kept.length === 0) return error;
  return new AstraError(`${error.message} Applied before it in this run, and kept: ${kept.join(', ')}.`, {
    ...(error.fix !== undefined ? { fix: error.fix } : {}),
    exitCode: error.exitCode,
    cause: error,
    database: 'changed',
    result,
  });
}

/** A catalog that failed after the migrations were applied: the error says they were, and --json keeps what was applied. */
function seedFailure(error: unknown, result: UpResult): unknown {
  const kept = [...result.applied.map((applied) => applied.file), ...(result.repeatablesApplied ?? [])];
  if (!(error instanceof AstraError) || kept.length === 0) return error;
  return new AstraError(`${error.message} The migrations were applied (${kept.join(', ')}); only the catalogs were not.`, {
    ...(error.fix !== undefined ? { fix: error.fix } : {}),
    exitCode: error.exitCode,
    cause: error,
    database: 'changed',
    result,
  });
}

function logSkipped(context: Context, result: UpResult): void {
  if (result.skipped.length > 0) context.log.info(`Skipped ${result.skipped.length} already-applied migration(s)`);
}
