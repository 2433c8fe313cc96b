import { Listr } from 'listr2';
import { tableSizes } from '../db/activity.js';
import { Ledger } from '../db/ledger.js';
import { AstraError, EXIT_BAD_INPUT, errorMessage, inputError, operationError } from '../errors.js';
import { MigrationFailedError, MigrationRunner, type LockPolicy } from '../migrations/apply.js';
import { loadMigrations, type Migration } from '../migrations/load.js';
import { planUp } from '../migrations/plan.js';
import { checkBundle, formatProblem } from '../release/check.js';
import { loadReleaseNotes, type ReleaseNotes } from '../release/notes.js';
import { formatMs } from '../duration.js';
import { canPrompt, confirm } from '../ui/prompt.js';
import { taskListOptions } from '../ui/tasks.js';
import { astraVersion } from '../version.js';
import { withDatabase, withRunLock, type Context } from '../commands/context.js';
import { failed, type ChecklistItem } from './checks.js';
import { planUpgrade, type UpgradePlan } from './plan.js';
import type { DoctorReport, UpgradePorts } from './ports.js';
import { runPreflight } from './preflight.js';
import { renderPlanText, type RenderInput } from './render.js';

export interface UpgradeOptions {
  to?: string;
  dryRun: boolean;
  allowBreaking: boolean;
  noBackup: boolean;
  noRollback: boolean;
  pgBinDir?: string;
  lockWaitMs: number;
  lockPolicy: LockPolicy;
  longTransactionSeconds: number;
}

/** What an upgrade run recorded; rollback decisions are made from this alone. */
interface RunState {
  stage: 'preflight' | 'backup' | 'apply' | 'doctor' | 'done';
  backup: { id: string; createdAt: string } | null;
  applied: { version: number; file: string; durationMs: number }[];
  durations: Record<string, number>;
  interrupted: boolean;
}

export interface UpgradeReport {
  database: string;
  from: string | null;
  to: string;
  dryRun: boolean;
  plan: UpgradePlan;
  checklist: ChecklistItem[];
  backup: { id: string; createdAt: string } | null;
  applied: { version: number; file: string; durationMs: number }[];
  doctor: DoctorReport | null;
  rollbackCommand: string;
  durations: Record<string, number>;
}

export interface Prepared {
  /** doctor's report before anything changed: the final check fails only on what is newly wrong. */
  doctorBefore: DoctorReport;
  releases: ReleaseNotes[];
  migrations: Migration[];
  plan: UpgradePlan;
  items: ChecklistItem[];
  render: RenderInput;
}

export function rollbackCommandFor(plan: UpgradePlan, backupId?: string): string {
  if (backupId) return plan.from ? `astra rollback --to ${plan.from} --backup ${backupId}` : `astra rollback --backup ${backupId}`;
  return plan.from ? `astra rollback --to ${plan.from}` : 'astra rollback --backup <the backup id astra upgrade prints>';
}

/** The ledger's own health as a checklist item: no drift, not dirty, not newer than the files. */
function ledgerItem(migrations: Migration[], rows: Awaited<ReturnType<Ledger['rows']>>): ChecklistItem {
  const title = 'migrations as recorded match the files (no drift, nothing dirty)';
  try {
    const plan = planUp(migrations, rows);
    if (plan.resume) {
      return {
        id: 'ledger',
        title,
        status: 'fail',
        detail: `migration ${plan.resume.migration.file} was left unfinished at statement ${plan.resume.fromStatement + 1}${plan.resume.row.error ? `: ${plan.resume.row.error}` : ''}`,
        fix: 'Finish it with astra migrate up once the cause is fixed, or see astra status.',
      };
    }
    return { id: 'ledger', title, status: 'ok', detail: `${plan.skipped.length} applied, checksums match` };
  } catch (error) {
    const fix = error instanceof AstraError ? error.fix : undefined;
    return { id: 'ledger', title, status: 'fail', detail: errorMessage(error), ...(fix ? { fix } : {}) };
  }
}

/** Reads the bundle, plans, and evaluates the checklist. Changes nothing. */
export async function prepareUpgrade(context: Context, options: UpgradeOptions, ports: UpgradePorts): Promise<Prepared> {
  const releases = await loadReleaseNotes(context.releaseNotesDir);
  const migrations = await loadMigrations(context.migrationsDir);
  const problems = checkBundle(releases, migrations.map((migration) => migration.file));
  if (problems.length > 0) {
    throw inputError(`The release bundle is inconsistent: ${problems.map(formatProblem).join('; ')}.`, 'Fix the release notes or the migrations folder; astra lint lists the problems.');
  }
  const violations = await ports.labelViolations(migrations, releases);
  const doctorBefore = await ports.doctor();
  return withDatabase(context, async (db) => {
    const ledger = await Ledger.open(db, { create: false });
    const rows = await ledger.rows();
    const plan = planUpgrade({ releases, migrations, ledger: rows, packageVersion: astraVersion, ...(options.to ? { target: options.to } : {}) });
    const items = [
      ledgerItem(migrations, rows),
      ...(await runPreflight({
        db,
        plan,
        doctor: doctorBefore,
        noBackup: options.noBackup,
        longTransactionSeconds: options.longTransactionSeconds,
        // Only the migrations this upgrade runs matter here; astra lint reports the rest.
        labelViolations: violations && violations.filter((violation) => plan.pending.some((migration) => migration.file === violation.file)),
      })),
    ];
    const render: RenderInput = {
      plan,
      items,
      database: db.target.label,
      sizes: await tableSizes(db, plan.tables),
      backupCommand: `astra backup create --backup-dir ${context.backupDir}`,
      rollbackCommand: rollbackCommandFor(plan),
    };
    return { releases, migrations, plan, items, render, doctorBefore };
  });
}

/** Asks for, or checks the flags that stand for, the operator's consent. Throws to stop before any change. */
async function obtainConsent(context: Context, plan: UpgradePlan, options: UpgradeOptions): Promise<void> {
  // A fresh install has no data and no application running on it: nothing for a breaking migration to break.
  const breaking = plan.breaking.length > 0 && plan.from !== null;
  if (breaking && context.yes && options.allowBreaking) return;
  if (!breaking && context.yes) return;
  // --yes promises no prompt: a breaking release then needs --allow-breaking too.
  if (!canPrompt() || context.yes) {
    throw new AstraError(
      breaking
        ? `This upgrade has ${plan.breaking.length} breaking migration(s) (${plan.breaking.map((migration) => migration.file).join(', ')}), which ${context.yes ? '--yes alone does not accept' : 'need a confirmation and there is no terminal to ask on'}; nothing was changed.`
        : 'There is no terminal to confirm the upgrade on; nothing was changed.',
      { exitCode: EXIT_BAD_INPUT, fix: breaking ? 'Stop the application, then run again with --yes --allow-breaking.' : 'Run again with --yes.' },
    );
  }
  const question = breaking
    ? `Apply ${plan.breaking.length} breaking migration(s)? The application must be stopped. Continue`
    : `Upgrade from ${plan.from ?? 'an empty database'} to ${plan.to} (${plan.pending.length} migration(s), backup first)?`;
  if (!(await confirm(question, !breaking))) throw operationError('Upgrade cancelled; nothing was changed.');
}

/**
 * `astra upgrade`: Preflight → Backup → Apply → Doctor → Summary. On any failure
 * after the backup, the backup is restored (unless --no-rollback) and doctor
 * runs again. Ctrl-C stops between migrations, at a known version.
 */
export async function runUpgrade(context: Context, options: UpgradeOptions, ports: UpgradePorts): Promise<UpgradeReport> {
  const started = performance.now();
  const prepared = await prepareUpgrade(context, options, ports);
  const { plan, items } = prepared;
  const show = options.dryRun ? context.out : context.log.info;
  if (!context.json) show(renderPlanText(prepared.render));

  const state: RunState = { stage: 'preflight', backup: null, applied: [], durations: { preflight: performance.now() - started }, interrupted: false };
  const report = (doctor: DoctorReport | null): UpgradeReport => ({
    database: prepared.render.database,
    from: plan.from,
    to: plan.to,
    dryRun: options.dryRun,
    plan,
    checklist: items,
    backup: state.backup,
    applied: state.applied,
    doctor,
    rollbackCommand: rollbackCommandFor(plan, state.backup?.id),
    durations: Object.fromEntries(Object.entries(state.durations).map(([stage, ms]) => [stage, Math.round(ms)])),
  });

  const failures = failed(items);
  if (options.dryRun) {
    show(failures.length ? `\nDry run: ${failures.length} checklist item(s) fail; the upgrade would stop before changing anything.` : '\nDry run: nothing was changed.');
    return report(null);
  }
  if (plan.pending.length === 0) {
    context.log.info(`The database is already at ${plan.to}; nothing to do.`);
    return report(null);
  }
  if (failures.length > 0) {
    throw operationError(
      `The pre-upgrade checklist failed (${failures.map((item) => item.id).join(', ')}): ${failures[0]!.detail}; nothing was changed.`,
      failures[0]!.fix ?? 'Fix the items marked ✖ above and run again.',
    );
  }
  await obtainConsent(context, plan, options);

  const onInterrupt = () => {
    state.interrupted = true;
    context.log.warn('Interrupted: stopping at the next safe point (after the current step)…');
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    await applyStages(context, prepared, options, ports, state);
  } catch (error) {
    return await recover(context, prepared, options, ports, state, error);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }

  state.stage = 'doctor';
  const doctorStarted = performance.now();
  const doctor = await ports.doctor();
  state.durations.doctor = performance.now() - doctorStarted;
  const failingBefore = new Set(failed(prepared.doctorBefore.checks).map((check) => check.id));
  const newlyFailing = failed(doctor.checks).filter((check) => !failingBefore.has(check.id));
  if (newlyFailing.length > 0) {
    return recover(context, prepared, options, ports, state, operationError(`astra doctor fails after the upgrade: ${newlyFailing.map((check) => `${check.id} (${check.detail})`).join('; ')}.`));
  }
  state.stage = 'done';
  state.durations.total = performance.now() - started;
  const summary = [
    `Upgraded ${prepared.render.database} from ${plan.from ?? 'an empty database'} to ${plan.to}: ${state.applied.length} migration(s) in ${formatMs(state.durations.apply ?? 0)}; total ${formatMs(state.durations.total)}.`,
    state.backup ? `Backup ${state.backup.id} was taken first. To go back: ${rollbackCommandFor(plan, state.backup.id)}` : 'No backup was taken (--no-backup).',
  ];
  for (const line of summary) context.log.info(line);
  return report(doctor);
}

class InterruptedError extends Error {}

/** Backup and Apply, as one task list, under astra's run lock. */
async function applyStages(context: Context, prepared: Prepared, options: UpgradeOptions, ports: UpgradePorts, state: RunState): Promise<void> {
  const { plan } = prepared;
  const byVersion = new Map(prepared.migrations.map((migration) => [migration.version, migration]));
  await withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, async () => {
      const ledger = await Ledger.open(db, { create: true });
      // Another run may have moved the database between the plan and the lock:
      // drift or a dirty migration now stops here, before the backup.
      const rows = await ledger.rows();
      const ledgerNow = planUp(prepared.migrations, rows);
      if (ledgerNow.resume) {
        throw operationError(`Migration ${ledgerNow.resume.migration.file} was left unfinished since the plan was made; nothing was changed.`, 'See astra status, finish it with astra migrate up, then run the upgrade again.');
      }
      const current = planUpgrade({ releases: prepared.releases, migrations: prepared.migrations, ledger: rows, packageVersion: astraVersion, target: plan.to });
      const pending = current.pending;
      const tasks = new Listr(
        [
          {
            title: 'Backup',
            skip: () => (options.noBackup ? 'Backup skipped (--no-backup)' : false),
            task: async (_, task) => {
              state.stage = 'backup';
              const startedAt = performance.now();
              state.backup = await ports.backup.create(db, { fromVersion: plan.from, toVersion: plan.to }, (line) => (task.output = line));
              state.durations.backup = performance.now() - startedAt;
              task.title = `Backup ${state.backup.id} (${formatMs(state.durations.backup)})`;
            },
          },
          {
            title: `Apply ${pending.length} migration(s)`,
            task: (_, task) => {
              state.stage = 'apply';
              const startedAt = performance.now();
              return task.newListr(
                pending.map((planned) => ({
                  title: `${planned.file}${planned.safety === 'breaking' ? ' (breaking)' : ''}`,
                  task: async (__, sub) => {
                    if (state.interrupted) throw new InterruptedError();
                    const migration = byVersion.get(planned.version)!;
                    const runner = new MigrationRunner(db, ledger, options.lockPolicy, {
                      statementOutside: (_m, statement) => (sub.output = `${statement.outsideTransaction}: ${statement.text.replace(/\s+/g, ' ').slice(0, 100)}`),
                      lockRetry: (_m, _s, attempt, of, delayMs) => (sub.output = `lock not granted within lock_timeout; attempt ${attempt} of ${of} in ${formatMs(delayMs)}`),
                      invalidIndexDropped: (_m, index) => (sub.output = `dropped INVALID index ${index}; building it again`),
                    });
                    await runner.prepareSession();
                    const durationMs = await runner.apply(migration);
                    state.applied.push({ version: planned.version, file: planned.file, durationMs: Math.round(durationMs) });
                    state.durations.apply = performance.now() - startedAt;
                    sub.title = `${planned.file} (${formatMs(durationMs)})`;
                  },
                })),
                { exitOnError: true },
              );
            },
          },
        ],
        taskListOptions({ json: context.json }),
      );
      await tasks.run();
    }),
  );
}

/**
 * After a failure: restore the backup (unless --no-rollback), run doctor, and
 * throw an error that says what failed and in what state the database is.
 * Driven by the recorded state alone; never throws anything but that error.
 */
async function recover(context: Context, prepared: Prepared, options: UpgradeOptions, ports: UpgradePorts, state: RunState, error: unknown): Promise<never> {
  const cause = error instanceof Error && error.name === 'ListrError' && error.cause ? error.cause : error;
  const appliedText = state.applied.length ? `migration(s) ${state.applied.map((entry) => entry.version).join(', ')} were applied` : 'no migration was applied';
  if (cause instanceof InterruptedError) {
    const at = state.applied.at(-1);
    throw operationError(
      `Stopped at a safe point as asked: ${appliedText}${at ? `; the database is at migration ${at.file}` : `; the database is as it was (${prepared.plan.from ?? 'empty'})`}.`,
      `Run astra upgrade again to continue${state.backup ? `, or go back with ${rollbackCommandFor(prepared.plan, state.backup.id)}` : ''}.`,
      cause,
    );
  }
  const what = `The upgrade failed during ${state.stage}: ${cause instanceof MigrationFailedError ? cause.summary : errorMessage(cause).replace(/\.$/, '')}`;
  if (!state.backup) {
    throw operationError(
      `${what}. ${state.stage === 'backup' || state.stage === 'preflight' ? 'Nothing was changed.' : `No backup was taken (--no-backup); ${appliedText}.`}`,
      state.stage === 'backup' ? 'Fix the backup problem (see above) and run again.' : 'See astra status and astra doctor.',
      cause,
    );
  }
  if (options.noRollback) {
    throw operationError(`${what}. Not rolled back (--no-rollback): ${appliedText}.`, `Go back with ${rollbackCommandFor(prepared.plan, state.backup.id)}, or fix forward.`, cause);
  }
  context.log.warn(`${what}. Restoring backup ${state.backup.id}…`);
  let restored: string;
  try {
    restored = await ports.backup.restore(state.backup.id, (line) => context.log.info(`  ${line}`));
  } catch (restoreError) {
    throw operationError(
      `${what}. Restoring backup ${state.backup.id} failed too: ${errorMessage(restoreError)}. ${appliedText}.`,
      `The backup is intact; restore it by hand with ${rollbackCommandFor(prepared.plan, state.backup.id)} once the cause is fixed.`,
      cause,
    );
  }
  const doctor = await ports.doctor().catch(() => null);
  throw operationError(
    `${what}. Rolled back: ${restored}${doctor ? ` astra doctor after the rollback: ${doctor.ok ? 'all checks pass' : `${failed(doctor.checks).length} check(s) fail`}.` : ''}`,
    'Fix the cause (see above), then run astra upgrade again.',
    cause,
  );
}
