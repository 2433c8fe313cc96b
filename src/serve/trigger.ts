import { migrate, MigrationsStoppedError, plan, type UpgradeReport, type UpResult } from '../index.js';
import type { MigrationVersion } from '../index.js';
import type { ServedDatabase } from './databases.js';
import type { ServeMetrics } from './metrics.js';
import { errorBody, failureEntry, type Reply } from './replies.js';

export interface TriggerOptions {
  /** The project file, when the databases come from one: replies are grouped by database, as the CLI's --json is. */
  projectFile: string | undefined;
  metrics: ServeMetrics;
  /** Aborted when the server shuts down: the running migration finishes, the run stops after it. */
  signal: AbortSignal;
}

/** The command a person runs for a release the trigger refuses. */
function byHand(projectFile: string | undefined, names: string[]): string {
  return `astra upgrade${projectFile ? names.map((name) => ` --db ${name}`).join('') : ''}`;
}

/** Checklist items about the backup, which the trigger does not take. */
const BACKUP_ITEMS = new Set(['backup-room', 'client-tools']);

/**
 * Why the trigger leaves a release to a person, or undefined when it may
 * apply it: a breaking migration on a database in use (a fresh install has
 * nothing to break, as for astra upgrade), a release that says to stop the
 * application, or a failed item of the pre-upgrade checklist (a migration
 * labelled safe that the analysis finds blocking, a long transaction on a
 * table it changes, an invalid index, a damaged ledger).
 */
function refusalOf(report: UpgradeReport): { reason: string; fix?: string } | undefined {
  const { plan } = report;
  // A fresh install (nothing applied, nothing unfinished) has nothing a breaking migration could break, as for astra upgrade.
  const { fresh } = plan;
  if (plan.pending.length === 0) return undefined;
  if (plan.steps && plan.steps.length > 1) {
    const path = plan.steps.map((step) => step.to);
    return { reason: `release ${path.at(-1)} is reached only through required upgrade stops (${path.join(' → ')}), at each of which the application must run` };
  }
  if (plan.breaking.length > 0 && !fresh) {
    return {
      reason: `release ${report.to} has breaking migrations (${plan.breaking.map((migration) => migration.file).join(', ')}), which need the application stopped and a person present`,
    };
  }
  const deletions = plan.catalogDeletions ?? [];
  if (deletions.length > 0) {
    return {
      reason: `seed catalog ${deletions.map((deletion) => `${deletion.catalog} would delete ${deletion.rows} row(s) of ${deletion.table}`).join(', ')}, which needs a person's consent`,
    };
  }
  if (plan.stopApplication && !fresh) return { reason: `release ${report.to} says to stop the application while it is applied` };
  const failing = report.checklist.filter((item) => item.status === 'fail' && !BACKUP_ITEMS.has(item.id));
  if (failing.length > 0) {
    return {
      reason: `the pre-upgrade checklist failed (${failing.map((item) => `${item.id}: ${item.detail}`).join('; ')})`,
      ...(failing[0]!.fix ? { fix: failing[0]!.fix } : {}),
    };
  }
  return undefined;
}

/** The migrations to apply: those of the plan, and no further (a file that no release names is not the trigger's to run). */
function lastPlanned(report: UpgradeReport): MigrationVersion | undefined {
  return report.plan.pending.at(-1)?.version;
}

/**
 * `POST /api/db/migrate`: every selected database planned first (a refusal
 * anywhere changes nothing anywhere); a release with a breaking migration is
 * refused with 409 and the command to run by hand; then each database's
 * pending migrations applied in declared order under its run lock, stopping
 * at the first failure.
 */
async function runMigrate(selected: ServedDatabase[], options: TriggerOptions): Promise<Reply> {
  const grouped = options.projectFile !== undefined;
  const plans = new Map<string, UpgradeReport>();
  for (const served of selected) {
    try {
      plans.set(served.name, await plan({ ...served.options, signal: options.signal }));
    } catch (error) {
      options.metrics.recordRun(served.name, 'failure');
      const body = grouped ? { project: options.projectFile, ok: false, databases: { [served.name]: failureEntry(error) } } : { ok: false };
      return { status: options.signal.aborted ? 503 : 500, body: { ...body, error: errorBody(error) } };
    }
  }
  const refusals = selected.flatMap((served) => {
    const refusal = refusalOf(plans.get(served.name)!);
    return refusal ? [{ served, ...refusal }] : [];
  });
  if (refusals.length > 0) {
    for (const { served } of refusals) options.metrics.recordRun(served.name, 'refused');
    const what = refusals.map(({ served, reason }) => `${grouped ? `${served.name}: ` : ''}${reason}`).join('; ');
    return {
      status: 409,
      body: {
        ...(grouped ? { project: options.projectFile } : {}),
        ok: false,
        error: {
          message: `Not applied: ${what}; nothing was changed.`,
          fix:
            refusals.find((refusal) => refusal.fix !== undefined)?.fix ??
            `Run ${byHand(
              options.projectFile,
              refusals.map(({ served }) => served.name),
            )} by hand, with the application stopped where the release says so.`,
          exitCode: 1,
        },
      },
    };
  }
  const results: Record<string, object> = {};
  for (const served of selected) {
    const to = lastPlanned(plans.get(served.name)!);
    if (to === undefined) {
      results[served.name] = { ok: true, applied: [], skipped: [], wouldApply: [] } satisfies { ok: true } & UpResult;
      continue;
    }
    const started = Date.now();
    try {
      const result = await migrate({ ...served.options, to, signal: options.signal });
      options.metrics.recordRun(served.name, 'success', Date.now() - started);
      results[served.name] = { ok: true, ...result };
    } catch (error) {
      options.metrics.recordRun(served.name, 'failure', Date.now() - started);
      const stopped = error instanceof MigrationsStoppedError ? { applied: error.applied, remaining: error.remaining } : {};
      // Stopped by the shutdown: 503, as for a request that arrives while the server closes.
      const status = error instanceof MigrationsStoppedError || options.signal.aborted ? 503 : 500;
      if (!grouped) return { status, body: { ok: false, ...stopped, error: errorBody(error) } };
      results[served.name] = { ...failureEntry(error), ...stopped };
      const notRun = selected.slice(selected.indexOf(served) + 1).map((other) => other.name);
      return {
        status,
        body: { project: options.projectFile, ok: false, databases: results, ...(notRun.length > 0 ? { notRun } : {}), error: errorBody(error) },
      };
    }
  }
  if (!grouped) return { status: 200, body: results[selected[0]!.name]! };
  return { status: 200, body: { project: options.projectFile, ok: true, databases: results } };
}

/**
 * The trigger, one run at a time in this process: a call for the same
 * databases as the running one shares its run and its reply (twenty
 * concurrent POSTs apply each migration once and all get the report); a call
 * for other databases waits for the running one to end, then runs. Between
 * processes (replicas), each database's run lock does the same.
 */
export function createTrigger(options: TriggerOptions): (selected: ServedDatabase[]) => Promise<Reply> {
  let running: { key: string; reply: Promise<Reply> } | undefined;
  return async (selected) => {
    const key = selected.map((served) => served.name).join('\u0000');
    while (running) {
      if (running.key === key) return running.reply;
      await running.reply.catch(() => undefined);
    }
    const reply = runMigrate(selected, options).finally(() => {
      if (running?.reply === reply) running = undefined;
    });
    running = { key, reply };
    return reply;
  };
}
