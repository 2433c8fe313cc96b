import { operationError } from '../errors.js';
import { applyRepeatablesStep, applyStep, ensureLedgerStep } from '../migrations/runner.js';
import type { Repeatable } from '../migrations/load.js';
import { planUp, wasInterrupted } from '../migrations/plan.js';
import { formatMs } from '../duration.js';
import { runSteps, type Step } from '../ui/progress.js';
import { astraVersion } from '../version.js';
import type { Context } from '../engine/context.js';
import type { Database } from '../db/database.js';
import { planUpgrade } from './plan.js';
import { undeclared } from './seeds.js';
import type { UpgradePorts } from './ports.js';
import { withoutInterrupted, type Prepared, type RunState, type UpgradeOptions } from './state.js';

/**
 * Backup and Apply, as one task list, on `db`, which holds astra's run lock.
 * The plan is made again under the lock: another run may have upgraded the
 * database while this one waited. Resolves to false when nothing is left to
 * do (then nothing was backed up or changed).
 */
export async function applyStages(
  context: Context,
  db: Database,
  prepared: Prepared,
  options: UpgradeOptions,
  ports: UpgradePorts,
  state: RunState,
  stopSignal: AbortSignal,
): Promise<boolean> {
  const { plan } = prepared;
  const byVersion = new Map(prepared.migrations.map((migration) => [migration.version, migration]));
  const ledger = await ensureLedgerStep(db);
  // Another run may have moved the database between the plan and the lock:
  // drift or a dirty migration now stops here, before the backup.
  const rows = await ledger.rows();
  const ledgerNow = planUp(prepared.migrations, rows);
  // Only the interruption the plan found is finished here: anything else unfinished appeared since.
  const resume =
    ledgerNow.resume && wasInterrupted(ledgerNow.resume.row) && ledgerNow.resume.migration.version === prepared.resume?.version ? ledgerNow.resume : undefined;
  if (ledgerNow.resume && !resume) {
    throw operationError(
      `Migration ${ledgerNow.resume.migration.file} was left unfinished since the plan was made; nothing was changed.`,
      'See astra status, finish it with astra migrate up, then run the upgrade again.',
    );
  }
  const current = planUpgrade({
    releases: prepared.releases,
    migrations: prepared.migrations,
    ledger: withoutInterrupted(rows, resume ? prepared.resume : undefined),
    packageVersion: astraVersion,
    target: plan.to,
  });
  const pending = current.pending;
  if (pending.length === 0 && (prepared.repeatablesChanged ?? []).length === 0) return false;
  if (current.from !== plan.from) {
    throw operationError(
      `The database moved from ${plan.from ?? 'empty'} to ${current.from ?? 'empty'} while this upgrade waited for the lock, so its plan no longer holds; nothing was changed.`,
      'Run astra upgrade again: it plans from where the database is now.',
    );
  }
  await runSteps(
    [
      {
        title: 'Backup',
        skip: options.noBackup ? 'Backup skipped (--no-backup)' : false,
        run: async (report) => {
          state.stage = 'backup';
          const startedAt = performance.now();
          state.backup = await ports.backup.create(db, { fromVersion: plan.from, toVersion: plan.to }, report);
          state.durations.backup = performance.now() - startedAt;
          return `Backup ${state.backup.id} (${formatMs(state.durations.backup)})`;
        },
      },
      {
        title: `Apply ${pending.length} migration(s)`,
        keepOutput: true,
        run: async (report) => {
          state.stage = 'apply';
          const startedAt = performance.now();
          // The migration astra was stopped in is the first pending one: finished from where it stopped.
          const work = pending.map((planned) =>
            resume && planned.version === resume.migration.version
              ? { migration: resume.migration, fromStatement: resume.fromStatement, interrupted: true }
              : { migration: byVersion.get(planned.version)! },
          );
          if (resume) report(`${resume.migration.file}: finishing it from statement ${resume.fromStatement + 1}, where astra was stopped`);
          const breaking = new Set(plan.breaking.map((migration) => migration.version));
          // Stopped between migrations as asked, it throws MigrationsStoppedError: the recovery says where the database stands.
          await applyStep(db, ledger, work, {
            lockPolicy: options.lockPolicy,
            // Stops between migrations once interrupted: the one running finishes.
            signal: stopSignal,
            events: {
              migrationStarted: (migration) => report(`${migration.file}${breaking.has(migration.version) ? ' (breaking)' : ''}`),
              statementOutside: (migration, statement) =>
                report(`${migration.file}: ${statement.outsideTransaction}: ${statement.text.replace(/\s+/g, ' ').slice(0, 100)}`),
              lockRetry: (migration, _s, attempt, of, delayMs) =>
                report(`${migration.file}: lock not granted within lock_timeout; attempt ${attempt} of ${of} in ${formatMs(delayMs)}`),
              invalidIndexDropped: (migration, index) => report(`${migration.file}: dropped INVALID index ${index}; building it again`),
              indexFoundBuilt: (migration, index) => report(`${migration.file}: index ${index} was finished before the interruption; going on`),
              migrationApplied: (migration, durationMs) => report(`✔ ${migration.file} (${formatMs(durationMs)})`),
            },
            onApplied: (applied) => {
              state.applied.push({ version: applied.version, file: applied.file, durationMs: applied.durationMs });
              state.durations.apply = performance.now() - startedAt;
            },
          });
          return `Applied ${state.applied.length} migration(s) (${formatMs(state.durations.apply ?? 0)})`;
        },
      },
      ...(prepared.repeatables ? [repeatablesStep(context, db, prepared.repeatables, options, state)] : []),
      ...(prepared.seedsApply ? [seedStep(context, db, prepared, options, state)] : []),
    ],
    // With --json, stdout carries the report: no task list is drawn. The
    // library draws none either; its logger, if any, gets the lines.
    context.progress === 'silent'
      ? { mode: 'silent', onProgress: (line) => context.log.info(line) }
      : { mode: context.progress === 'auto' ? 'auto' : 'silent' },
  );
  return true;
}

/** After the migrations: the repeatable migrations (R__) that are new or changed, each in its own transaction. */
function repeatablesStep(context: Context, db: Database, repeatables: Repeatable[], options: UpgradeOptions, state: RunState): Step {
  return {
    title: 'Repeatable migrations',
    keepOutput: true,
    run: async (report) => {
      const log = { ...context.log, info: (line: string) => report(line), warn: (line: string) => context.log.warn(line) };
      const applied: string[] = [];
      state.repeatablesApplied = applied;
      await applyRepeatablesStep({ ...context, log }, db, repeatables, { lockPolicy: options.lockPolicy, onApplied: (file) => applied.push(file) });
      return `Repeatable migrations: ${applied.length} of ${repeatables.length} new or changed, applied`;
    },
  };
}

/**
 * The step after the migrations: the seed catalogs, each in its own
 * transaction. Deletions read before the upgrade were consented to with it.
 * When the catalogs could only be read once the migrations ran (they fill
 * columns those add), they are checked now as the checklist would have:
 * deletions need --allow-breaking and release notes that say so; nobody is
 * asked here, inside the task list.
 */
function seedStep(context: Context, db: Database, prepared: Prepared, options: UpgradeOptions, state: RunState): Step {
  return {
    title: 'Seed catalogs',
    keepOutput: true,
    run: async (report) => {
      state.stage = 'seed';
      const { seedDatabase, previewSeeds } = await import('../seed/run.js');
      const catalogs = context.seeds ?? [];
      const previewed = (prepared.plan.catalogDeletions ?? []).length > 0;
      if (!prepared.seeds) {
        const deleting = (await previewSeeds(db, catalogs)).filter((catalog) => catalog.deleted > 0);
        const missing = undeclared(deleting, prepared.releases, prepared.plan);
        if (missing.length > 0 || (deleting.length > 0 && !options.allowBreaking)) {
          throw operationError(
            `${deleting.map((catalog) => `${catalog.catalog} would delete ${catalog.deleted} row(s) of ${catalog.table}`).join('; ')}, ${missing.length > 0 ? 'and no release notes of this upgrade say so' : 'which needs --allow-breaking'}.`,
            'Announce it in the release notes (seeds: [{ catalog, deletes: true, reason }]) and run again with --allow-breaking, or give the catalog back its rows.',
          );
        }
      }
      const log = { ...context.log, info: (line: string) => report(line), warn: (line: string) => context.log.warn(line) };
      const seeded = await seedDatabase({ ...context, log, confirm: undefined }, db, {
        allowBreaking: previewed || options.allowBreaking,
        command: 'astra seed',
      });
      state.seeds = seeded.seeds;
      const changed = seeded.seeds.filter((catalog) => catalog.added + catalog.changed + catalog.deleted > 0).length;
      return `Seed catalogs: ${changed} of ${seeded.seeds.length} changed their table`;
    },
  };
}
