import { tableSizes } from '../db/activity.js';
import { changedRepeatables, loadRepeatablesStep } from '../migrations/runner.js';
import type { MigrationVersion } from '../migration-version.js';
import { Ledger, type LedgerRow } from '../db/ledger.js';
import { concurrentIndexName } from '../migrations/apply.js';
import { refuseFalseFreshStart } from '../migrations/fresh.js';
import { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, errorMessage, inputError, operationError } from '../errors.js';
import { loadMigrations, type Migration } from '../migrations/load.js';
import { planUp, wasInterrupted, type UpPlan } from '../migrations/plan.js';
import { anotherFolderError, checkBundle, describesAnotherFolder, formatProblem } from '../release/check.js';
import { loadReleaseNotes } from '../release/notes.js';
import { formatMs } from '../duration.js';
import { astraVersion } from '../version.js';
import type { Context } from '../engine/context.js';
import { withDatabase, withRunLock } from '../engine/run-lock.js';
import { whileWatching } from '../engine/interrupt.js';
import { failed, type ChecklistItem } from './checks.js';
import { planUpgrade, type UpgradePlan } from './plan.js';
import type { DoctorReport, UpgradePorts } from './ports.js';
import { runPreflight } from './preflight.js';
import { recover } from './recover.js';
import { applyStages } from './stages.js';
import type { CatalogReport } from '../seed/run.js';
import { catalogDeletions, seedPreview, seedsApply, seedsItem } from './seeds.js';
import { rollbackCommandFor, withoutInterrupted, type Prepared, type RunState, type UpgradeOptions } from './state.js';

export type { UpgradeOptions } from './state.js';
export { rollbackCommandFor } from './state.js';
import { pathVerdict, renderPlanText, type RenderInput } from './render.js';

export interface UpgradeReport {
  database: string;
  from: string | null;
  to: string;
  dryRun: boolean;
  plan: UpgradePlan;
  checklist: ChecklistItem[];
  backup: { id: string; createdAt: string } | null;
  applied: { version: MigrationVersion; file: string; durationMs: number }[];
  /** What the seed catalogs did (a dry run: would do); absent when the database declares none. */
  seeds?: CatalogReport[] | null;
  /** Repeatable migrations (R__ files) run after the migrations, new or changed; absent when the folder has none. */
  repeatablesApplied?: string[];
  /** In a dry run: the repeatable migrations the upgrade would run after the migrations. */
  repeatablesWouldApply?: string[];
  doctor: DoctorReport | null;
  rollbackCommand: string;
  durations: Record<string, number>;
}

/** What `migrate up` would make of the ledger, or why it would refuse: read once for the checklist and the resume. */
type LedgerReading = { plan: UpPlan<Migration> } | { error: unknown };

function readLedger(migrations: Migration[], rows: LedgerRow[]): LedgerReading {
  try {
    return { plan: planUp(migrations, rows) };
  } catch (error) {
    return { error };
  }
}

/**
 * A migration astra itself was stopped in (killed, or its connection cut)
 * with nothing failed: the upgrade finishes it first, from the statement it
 * reached. One that failed for a reason is left for a person.
 */
function interruptedMigration(reading: LedgerReading): Prepared['resume'] {
  const resume = 'plan' in reading ? reading.plan.resume : undefined;
  if (!resume || !wasInterrupted(resume.row)) return undefined;
  return { file: resume.migration.file, version: resume.migration.version, fromStatement: resume.fromStatement };
}

/** The ledger's own health as a checklist item: no drift, not dirty, not newer than the files. */
function ledgerItem(reading: LedgerReading): ChecklistItem {
  const title = 'migrations as recorded match the files (no drift, nothing dirty)';
  if ('error' in reading) {
    const { error } = reading;
    const fix = error instanceof AstraError ? error.fix : undefined;
    return { id: 'ledger', title, status: 'fail', detail: errorMessage(error), ...(fix ? { fix } : {}) };
  }
  const { plan } = reading;
  if (plan.resume && wasInterrupted(plan.resume.row)) {
    return {
      id: 'ledger',
      title,
      status: 'ok',
      detail: `${plan.skipped.length} applied; ${plan.resume.migration.file} was stopped at statement ${plan.resume.fromStatement + 1} with nothing failed, and is finished first`,
    };
  }
  if (plan.resume) {
    return {
      id: 'ledger',
      title,
      status: 'fail',
      detail: `migration ${plan.resume.migration.file} was left unfinished at statement ${plan.resume.fromStatement + 1}${plan.resume.row.error ? `: ${plan.resume.row.error}` : ''}`,
      fix: 'Fix the cause, then finish it with astra migrate up (or see astra status).',
    };
  }
  return { id: 'ledger', title, status: 'ok', detail: `${plan.skipped.length} applied, checksums match` };
}

/** Reads the bundle, plans, and evaluates the checklist. Changes nothing. */
export async function prepareUpgrade(context: Context, options: UpgradeOptions, ports: UpgradePorts): Promise<Prepared> {
  const releases = await loadReleaseNotes(context.releaseNotesDir, context.versions);
  const migrations = await loadMigrations(context.migrationsDir, context.versions);
  const files = migrations.map((migration) => migration.file);
  if (describesAnotherFolder(releases, files)) throw anotherFolderError(context);
  const problems = checkBundle(releases, files);
  if (problems.length > 0) {
    throw inputError(
      `The release bundle is inconsistent: ${problems.map(formatProblem).join('; ')}.`,
      'Fix the release notes or the migrations folder; astra lint lists the problems.',
    );
  }
  const violations = ports.labelViolations(migrations, releases);
  const doctorBefore = await ports.doctor();
  return withDatabase(context, async (db) => {
    const ledger = await Ledger.open(db, { create: false });
    const rows = await ledger.rows();
    await refuseFalseFreshStart(db, migrations, rows);
    // A migration astra was stopped in is planned as pending (it is finished
    // from where it stopped): its release is not reached yet, and its label
    // counts for the consent and the checklist like any other.
    const reading = readLedger(migrations, rows);
    const resume = interruptedMigration(reading);
    // A dry run plans the whole path over required stops; the upgrade refuses the jump.
    const planned = planUpgrade({
      releases,
      migrations,
      ledger: withoutInterrupted(rows, resume),
      packageVersion: astraVersion,
      ...(options.to ? { target: options.to } : {}),
      path: options.dryRun,
    });
    // Catalogs are written for the schema the whole folder leaves: an upgrade that stops at an earlier release leaves them for later.
    const toTheEnd = seedsApply(migrations, rows, planned);
    const catalogs = toTheEnd ? (context.seeds ?? []) : [];
    const repeatables = toTheEnd ? await loadRepeatablesStep(context) : [];
    const repeatablesChanged = (await changedRepeatables(db, ledger, repeatables)).map((repeatable) => repeatable.file);
    const seeds = catalogs.length > 0 ? await seedPreview(db, catalogs, planned.pending.length) : undefined;
    const plan = catalogs.length > 0 ? { ...planned, catalogDeletions: catalogDeletions(seeds) } : planned;
    const resumeStatement = resume ? migrations.find((migration) => migration.version === resume.version)?.statements[resume.fromStatement] : undefined;
    const items = [
      ledgerItem(reading),
      ...(await runPreflight({
        db,
        plan,
        doctor: doctorBefore,
        noBackup: options.noBackup,
        longTransactionSeconds: options.longTransactionSeconds,
        // Only the migrations this upgrade runs matter here; astra lint reports the rest.
        labelViolations: violations && violations.filter((violation) => plan.pending.some((migration) => migration.file === violation.file)),
        // The INVALID index an interrupted concurrent build left is rebuilt when that migration is finished.
        rebuiltIndex: resumeStatement ? concurrentIndexName(resumeStatement)?.name : undefined,
      })),
      ...(catalogs.length > 0 ? [seedsItem(seeds, releases, plan)] : []),
    ];
    const render: RenderInput = {
      plan,
      items,
      database: db.target.label,
      sizes: await tableSizes(db, plan.tables),
      backupCommand: `astra backup create --backup-dir ${context.backupDir}`,
      rollbackCommand: rollbackCommandFor(plan),
    };
    return {
      releases,
      migrations,
      plan,
      items,
      render,
      doctorBefore,
      ...(resume ? { resume } : {}),
      ...(seeds ? { seeds } : {}),
      ...(catalogs.length > 0 ? { seedsApply: true } : {}),
      ...(repeatables.length > 0 ? { repeatables, repeatablesChanged } : {}),
    };
  });
}

/** Asks for, or checks the flags that stand for, the operator's consent. Throws to stop before any change. */
export async function obtainConsent(context: Context, plan: UpgradePlan, options: UpgradeOptions): Promise<void> {
  if (options.consented) return;
  // A fresh install has no data and no application running on it: nothing for a breaking migration to break.
  const deletions = plan.catalogDeletions ?? [];
  const breakingMigrations = plan.fresh ? [] : plan.breaking;
  const breaking = breakingMigrations.length > 0 || deletions.length > 0;
  const what = [
    ...(breakingMigrations.length > 0
      ? [`${breakingMigrations.length} breaking migration(s) (${breakingMigrations.map((migration) => migration.file).join(', ')})`]
      : []),
    ...deletions.map((deletion) => `seed catalog ${deletion.catalog} deleting ${deletion.rows} row(s) of ${deletion.table}`),
  ].join(' and ');
  if (breaking && context.yes && options.allowBreaking) return;
  if (!breaking && context.yes) return;
  // --yes promises no prompt: a breaking release then needs --allow-breaking too.
  if (!context.confirm || context.yes) {
    throw new AstraError(
      breaking
        ? `This upgrade has ${what}, which ${context.yes ? '--yes alone does not accept' : 'need a confirmation and there is no terminal to ask on'}; nothing was changed.`
        : 'There is no terminal to confirm the upgrade on; nothing was changed.',
      { exitCode: EXIT_BAD_INPUT, fix: breaking ? 'Stop the application, then run again with --yes --allow-breaking.' : 'Run again with --yes.' },
    );
  }
  const question = breaking
    ? `Apply ${deletions.length > 0 ? what : `${breakingMigrations.length} breaking migration(s)`}? The application must be stopped. Continue`
    : `Upgrade from ${plan.from ?? 'an empty database'} to ${plan.to} (${plan.pending.length} migration(s), backup first)?`;
  if (!(await context.confirm(question, !breaking))) throw operationError('Upgrade cancelled; nothing was changed.');
}

/** The report of an upgrade (or of its dry run, with `state` as the plan left it): the object `upgrade --json` prints. */
export function upgradeReport(prepared: Prepared, options: Pick<UpgradeOptions, 'dryRun'>, state: RunState | null, doctor: DoctorReport | null): UpgradeReport {
  const { plan } = prepared;
  return {
    database: prepared.render.database,
    from: plan.from,
    to: plan.to,
    dryRun: options.dryRun,
    plan,
    checklist: prepared.items,
    backup: state?.backup ?? null,
    applied: state?.applied ?? [],
    // Applied: what the catalogs did; a dry run: what they would do, as read before it.
    ...(prepared.seeds || state?.seeds ? { seeds: (options.dryRun ? prepared.seeds : state?.seeds) ?? null } : {}),
    ...(state?.repeatablesApplied ? { repeatablesApplied: state.repeatablesApplied } : {}),
    ...(options.dryRun && prepared.repeatablesChanged ? { repeatablesWouldApply: prepared.repeatablesChanged } : {}),
    doctor,
    rollbackCommand: rollbackCommandFor(plan, state?.backup?.id),
    durations: Object.fromEntries(Object.entries(state?.durations ?? {}).map(([stage, ms]) => [stage, Math.round(ms)])),
  };
}

/** The dry run: the plan and the checklist, read without changing anything, with the report `upgrade --dry-run --json` prints. */
export async function planUpgradeRun(context: Context, options: UpgradeOptions, ports: UpgradePorts): Promise<{ prepared: Prepared; report: UpgradeReport }> {
  const started = performance.now();
  const prepared = await prepareUpgrade(context, { ...options, dryRun: true }, ports);
  const preflight = performance.now() - started;
  const state: RunState = { stage: 'preflight', backup: null, applied: [], durations: { preflight }, interrupted: false };
  return { prepared, report: upgradeReport(prepared, { dryRun: true }, state, null) };
}

/** What a dry run says after the plan: whether the upgrade would go ahead. */
export function dryRunVerdict(prepared: Prepared): string {
  const failures = failed(prepared.items);
  const path = pathVerdict(prepared.plan);
  const verdict = failures.length
    ? `Dry run: ${failures.length} checklist item(s) fail; the upgrade would stop before changing anything.`
    : 'Dry run: nothing was changed.';
  return path ? `${path}\n${verdict}` : verdict;
}

/** Resolves when `signal` aborts: raced against work that only reads, which need not be waited for. */
function abortOf(signal: AbortSignal): Promise<'interrupted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('interrupted');
    signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
}

/**
 * The final doctor check, watched: Ctrl-C stops waiting for it (the checks
 * only read) and says so, rather than ending the process with no summary.
 */
async function doctorGate(context: Context, ports: UpgradePorts): Promise<DoctorReport | 'interrupted'> {
  return whileWatching(
    context.signal,
    (line) => context.log.warn(line),
    (watch) => Promise.race([ports.doctor(), abortOf(watch.signal)]),
    { announce: (signal) => `Interrupted (${signal}) during the final doctor check; the upgrade itself is done…` },
  );
}

/**
 * `astra upgrade`: Preflight → Backup → Apply → Doctor → Summary. On any failure
 * after the backup, the backup is restored (unless --no-rollback) and doctor
 * runs again. Ctrl-C stops between migrations, at a known version.
 */
export async function runUpgrade(context: Context, options: UpgradeOptions, ports: UpgradePorts): Promise<UpgradeReport> {
  const started = performance.now();
  // Watched while it plans: Ctrl-C here stops at once, before anything changes, and says so.
  const planned = await whileWatching(
    context.signal,
    (line) => context.log.warn(line),
    (watch) => Promise.race([prepareUpgrade(context, options, ports), abortOf(watch.signal)]),
    { announce: (signal) => `Interrupted (${signal}): stopping before the upgrade begins; nothing will be changed…` },
  );
  if (planned === 'interrupted') {
    throw new AstraError('Stopped before the upgrade began, as asked; nothing was changed.', {
      fix: 'Run astra upgrade again when ready.',
      exitCode: EXIT_FAILED,
      database: 'unchanged',
    });
  }
  const prepared = planned;
  const { plan, items } = prepared;
  const state: RunState = { stage: 'preflight', backup: null, applied: [], durations: { preflight: performance.now() - started }, interrupted: false };
  const report = (doctor: DoctorReport | null): UpgradeReport => upgradeReport(prepared, options, state, doctor);
  if (options.dryRun) return report(null);
  // With --json, stdout carries the report and the plan is in it.
  if (context.progress !== 'quiet' && !options.consented) context.log.info(renderPlanText(prepared.render));

  const failures = failed(items);
  const repeatablesToRun = prepared.repeatablesChanged ?? [];
  if (repeatablesToRun.length > 0 && context.progress !== 'quiet' && !options.consented) {
    context.log.info(`Repeatable migrations to apply after the migrations: ${repeatablesToRun.join(', ')}`);
  }
  if (plan.pending.length === 0 && repeatablesToRun.length === 0) {
    context.log.info(`The database is already at ${plan.to}; nothing to do.`);
    const differing = (prepared.seeds ?? []).filter((catalog) => catalog.added + catalog.changed + catalog.deleted > 0);
    if (differing.length > 0) {
      context.log.warn(
        `${differing.map((catalog) => catalog.catalog).join(', ')} differ(s) from the table(s) they fill; see and apply them with astra seed --dry-run, then astra seed.`,
      );
    }
    return report(null);
  }
  if (failures.length > 0) {
    throw operationError(
      `The pre-upgrade checklist failed (${failures.map((item) => item.id).join(', ')}): ${failures[0]!.detail}; nothing was changed.`,
      failures[0]!.fix ?? 'Fix the items marked ✖ above and run again.',
    );
  }
  await obtainConsent(context, plan, options);
  if (context.signal?.aborted) throw operationError('Stopped before the upgrade began, as asked; nothing was changed.', 'Run astra upgrade again when ready.');

  // Another run upgraded the database while this one waited for the lock.
  let alreadyDone = false;
  // One connection holds astra's run lock from before the backup to the end
  // of the doctor gate, and any rollback after a failure runs under it: no
  // other astra run gets in between a failure and its rollback.
  const doctor = await withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, async () => {
      // A rollback after a failure is watched from its first step: a signal stops it, and it undoes what it started.
      const recoverWatched = (error: unknown) =>
        whileWatching(
          context.signal,
          (line) => context.log.warn(line),
          () => recover(context, prepared, options, ports, state, error, db),
          {
            announce: (signal) => `Interrupted (${signal}): stopping the rollback and undoing what it started…`,
          },
        );
      // Said once, here: the backup's own watch, nested in this one, stays silent.
      const failure = await whileWatching(
        context.signal,
        (line) => context.log.warn(line),
        (watch) =>
          applyStages(context, db, prepared, options, ports, state, watch.signal).then(
            (worked) => {
              alreadyDone = !worked;
              return undefined;
            },
            (error: unknown) => ({ error }),
          ),
        {
          onSignal: () => (state.interrupted = true),
          announce: (signal) =>
            state.stage === 'backup'
              ? `Interrupted (${signal}): stopping the backup; no migration will be applied…`
              : `Interrupted (${signal}): stopping at the next safe point (after the current migration)…`,
        },
      );
      // Only microtasks between that watch's end and the rollback's: no signal handler runs between them.
      if (failure) return await recoverWatched(failure.error);
      if (alreadyDone) return null;

      state.stage = 'doctor';
      const doctorStarted = performance.now();
      const after = await doctorGate(context, ports);
      state.durations.doctor = performance.now() - doctorStarted;
      if (after === 'interrupted') {
        throw new AstraError(
          `Interrupted during the final doctor check: the upgrade itself is done, and the database is at ${plan.to}${state.backup ? ` (backup ${state.backup.id} was taken first)` : ''}.`,
          {
            fix: `Run astra doctor to check it${state.backup ? `; to go back: ${rollbackCommandFor(plan, state.backup.id)}` : ''}.`,
            exitCode: EXIT_FAILED,
            database: 'changed',
          },
        );
      }
      const failingBefore = new Set(failed(prepared.doctorBefore.checks).map((check) => check.id));
      const newlyFailing = failed(after.checks).filter((check) => !failingBefore.has(check.id));
      if (newlyFailing.length > 0) {
        return await recoverWatched(
          operationError(`astra doctor fails after the upgrade: ${newlyFailing.map((check) => `${check.id} (${check.detail})`).join('; ')}.`),
        );
      }
      return after;
    }),
  );
  state.stage = 'done';
  state.durations.total = performance.now() - started;
  if (alreadyDone) {
    context.log.info(`Another run took the database to ${plan.to} while this one waited for the lock; nothing to do.`);
    // The report says where the database stands now: at the target, nothing pending (the plan made before the wait is stale).
    const done = report(null);
    return {
      ...done,
      from: plan.to,
      plan: { ...done.plan, from: plan.to, fresh: false, releases: [], pending: [], breaking: [], stopApplication: false, tables: [] },
    };
  }
  const summary = [
    `Upgraded ${prepared.render.database} from ${plan.from ?? 'an empty database'} to ${plan.to}: ${state.applied.length} migration(s) in ${formatMs(state.durations.apply ?? 0)}; total ${formatMs(state.durations.total)}.`,
    state.backup ? `Backup ${state.backup.id} was taken first. To go back: ${rollbackCommandFor(plan, state.backup.id)}` : 'No backup was taken (--no-backup).',
  ];
  for (const line of summary) context.log.info(line);
  return report(doctor);
}
