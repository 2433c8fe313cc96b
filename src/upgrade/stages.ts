import { Listr } from 'listr2';
import { Ledger } from '../db/ledger.js';
import { operationError } from '../errors.js';
import { MigrationRunner } from '../migrations/apply.js';
import { planUp } from '../migrations/plan.js';
import { formatMs } from '../duration.js';
import { taskListOptions } from '../ui/tasks.js';
import { astraVersion } from '../version.js';
import type { Context } from '../engine/context.js';
import type { Database } from '../db/database.js';
import { planUpgrade } from './plan.js';
import type { UpgradePorts } from './ports.js';
import { InterruptedError, type Prepared, type RunState, type UpgradeOptions } from './state.js';

/** Backup and Apply, as one task list, on `db`, which holds astra's run lock. */
export async function applyStages(
  context: Context,
  db: Database,
  prepared: Prepared,
  options: UpgradeOptions,
  ports: UpgradePorts,
  state: RunState,
): Promise<void> {
  const { plan } = prepared;
  const byVersion = new Map(prepared.migrations.map((migration) => [migration.version, migration]));
  const ledger = await Ledger.open(db, { create: true });
  // Another run may have moved the database between the plan and the lock:
  // drift or a dirty migration now stops here, before the backup.
  const rows = await ledger.rows();
  const ledgerNow = planUp(prepared.migrations, rows);
  if (ledgerNow.resume) {
    throw operationError(
      `Migration ${ledgerNow.resume.migration.file} was left unfinished since the plan was made; nothing was changed.`,
      'See astra status, finish it with astra migrate up, then run the upgrade again.',
    );
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
                  lockRetry: (_m, _s, attempt, of, delayMs) =>
                    (sub.output = `lock not granted within lock_timeout; attempt ${attempt} of ${of} in ${formatMs(delayMs)}`),
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
    taskListOptions({ json: context.progress !== 'auto' }),
  );
  await tasks.run();
}
