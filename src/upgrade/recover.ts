import { AstraError, databaseOutcomeOf, errorMessage, mayHaveChangedTheDatabase, type DatabaseOutcome } from '../errors.js';
import { MigrationFailedError } from '../migrations/apply.js';
import type { Context } from '../engine/context.js';
import type { Database } from '../db/database.js';
import { failed } from './checks.js';
import type { UpgradePorts } from './ports.js';
import { MigrationsStoppedError } from '../migrations/runner.js';
import { rollbackCommandFor, type Prepared, type RunState, type UpgradeOptions } from './state.js';

/**
 * After a failure: restore the backup (unless --no-rollback), run doctor, and
 * throw an error that says what failed and in what state the database is.
 * `lockHeld` holds astra's run lock since before the backup: the restore runs
 * under it, so no other run gets in between the failure and the rollback.
 * Driven by the recorded state alone; never throws anything but that error.
 */
export async function recover(
  context: Context,
  prepared: Prepared,
  options: UpgradeOptions,
  ports: UpgradePorts,
  state: RunState,
  error: unknown,
  lockHeld: Database,
): Promise<never> {
  // The recorded state and the error (runSteps rethrows a step's own) are what decide below.
  const cause = error;
  /** The database as the failure left it: changed once a migration was applied, else as the failure says (unknown if it does not). */
  const leftByFailure: DatabaseOutcome =
    state.applied.length > 0 || (state.repeatablesApplied ?? []).length > 0
      ? 'changed'
      : cause instanceof MigrationFailedError && cause.leftNothing
        ? 'unchanged'
        : (databaseOutcomeOf(cause) ?? 'unknown');
  const lastApplied = state.applied.at(-1);
  const atLastApplied = lastApplied ? { schemaVersion: lastApplied.version } : {};
  const appliedText = state.applied.length ? `migration(s) ${state.applied.map((entry) => entry.version).join(', ')} were applied` : 'no migration was applied';
  if (cause instanceof MigrationsStoppedError) {
    throw new AstraError(
      `Stopped at a safe point as asked: ${appliedText}${lastApplied ? `; the database is at migration ${lastApplied.file}` : `; the database is as it was (${prepared.plan.from ?? 'empty'})`}.`,
      {
        fix: `Run astra upgrade again to continue${state.backup ? `, or go back with ${rollbackCommandFor(prepared.plan, state.backup.id)}` : ''}.`,
        cause,
        database: lastApplied ? 'changed' : 'unchanged',
        ...atLastApplied,
      },
    );
  }
  const what = `The upgrade failed during ${state.stage}: ${cause instanceof MigrationFailedError ? cause.summary : errorMessage(cause).replace(/\.$/, '')}`;
  if (!state.backup) {
    const beforeAnyChange = state.stage === 'backup' || state.stage === 'preflight';
    throw new AstraError(`${what}. ${beforeAnyChange ? 'Nothing was changed.' : `No backup was taken (--no-backup); ${appliedText}.`}`, {
      fix:
        state.stage === 'backup'
          ? state.interrupted
            ? 'Run astra upgrade again when ready.'
            : 'Fix the backup problem (see above) and run again.'
          : 'See astra status and astra doctor.',
      cause,
      ...(beforeAnyChange ? { database: 'unchanged' as const } : { database: leftByFailure, ...atLastApplied }),
    });
  }
  if (options.noRollback) {
    throw new AstraError(`${what}. Not rolled back (--no-rollback): ${appliedText}.`, {
      fix: `Go back with ${rollbackCommandFor(prepared.plan, state.backup.id)}, or fix forward.`,
      cause,
      database: leftByFailure,
      ...atLastApplied,
    });
  }
  context.log.warn(`${what}. Restoring backup ${state.backup.id}…`);
  let restored: string;
  try {
    restored = await ports.backup.restore(state.backup.id, (line) => context.log.info(`  ${line}`), lockHeld);
  } catch (restoreError) {
    // A restore that may have reached the database: its own words say what to check, not ours.
    if (restoreError instanceof AstraError && mayHaveChangedTheDatabase(restoreError)) {
      throw new AstraError(`${what}. Restoring backup ${state.backup.id} failed too: ${errorMessage(restoreError)}`, {
        ...(restoreError.fix !== undefined ? { fix: restoreError.fix } : {}),
        cause,
        ...(restoreError.database ? { database: restoreError.database } : {}),
        ...(restoreError.schemaVersion !== undefined ? { schemaVersion: restoreError.schemaVersion } : {}),
      });
    }
    // Nothing was restored: the database is as the failure left it.
    throw new AstraError(
      `${what}. Restoring backup ${state.backup.id} failed too, changing nothing: ${errorMessage(restoreError).replace(/\.$/, '')}. ${appliedText[0]!.toUpperCase()}${appliedText.slice(1)}.`,
      {
        // Nothing to restore when the failure itself left the database as it was (the failed migration's transaction rolled back).
        fix:
          leftByFailure === 'unchanged'
            ? `The database is as it was before the upgrade (${prepared.plan.from ?? 'empty'}); once the cause is fixed, run astra upgrade again. Backup ${state.backup.id} is there if needed.`
            : `Once the cause is fixed, restore the backup with ${rollbackCommandFor(prepared.plan, state.backup.id)}.`,
        cause,
        database: leftByFailure,
        ...atLastApplied,
      },
    );
  }
  const doctor = await ports.doctor().catch(() => null);
  throw new AstraError(
    `${what}. Rolled back: ${restored}${doctor ? ` astra doctor after the rollback: ${doctor.ok ? 'all checks pass' : `${failed(doctor.checks).length} check(s) fail`}.` : ''}`,
    // Changed back: the database is the backup now.
    { fix: 'Fix the cause (see above), then run astra upgrade again.', cause, database: 'changed' },
  );
}
