import { describe, expect, it } from 'vitest';
import type { Context } from '../../../src/engine/context.js';
import type { Database } from '../../../src/db/database.js';
import { AstraError, operationError } from '../../../src/errors.js';
import { recover } from '../../../src/upgrade/recover.js';
import type { DoctorReport, UpgradePorts } from '../../../src/upgrade/ports.js';
import type { Prepared, RunState, UpgradeOptions } from '../../../src/upgrade/state.js';
import { MigrationsStoppedError } from '../../../src/migrations/runner.js';

/**
 * recover() decides from the recorded state alone what the operator is told
 * after a failure. The ports are the flow's seam to the backup catalog and
 * doctor; here they answer as those would, so that every branch is read.
 */
const lines: string[] = [];
const context = {
  log: { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(line), error: () => {}, debug: () => {}, color: false },
} as unknown as Context;
const prepared = { plan: { from: '1.0.0', to: '1.1.0' } } as unknown as Prepared;
const options = { noRollback: false } as UpgradeOptions;
const lockHeld = {} as Database;
const failure = operationError('could not create unique index "posts_body_key"', 'Fix the data.');

function stateAt(stage: RunState['stage'], backup: boolean, interrupted = false): RunState {
  return {
    stage,
    backup: backup ? { id: 'B1', createdAt: '2026-11-26T10:00:00Z' } : null,
    applied: [{ version: 3, file: '003-index.sql', durationMs: 5 }],
    durations: {},
    interrupted,
  };
}

function portsWith(restore: () => Promise<string>, doctor: DoctorReport = { ok: true, checks: [] }): UpgradePorts & { restored: string[] } {
  const restored: string[] = [];
  return {
    restored,
    backup: {
      create: () => Promise.resolve({ id: 'B1', createdAt: '', file: '' }),
      restore: async (id, _progress, held) => {
        // The rollback runs on the connection that holds the upgrade's lock.
        expect(held).toBe(lockHeld);
        restored.push(id);
        return restore();
      },
    },
    doctor: () => Promise.resolve(doctor),
    labelViolations: () => null,
  };
}

async function told(state: RunState, ports: UpgradePorts, opts: UpgradeOptions = options, error: unknown = failure): Promise<AstraError> {
  const thrown = await recover(context, prepared, opts, ports, state, error, lockHeld).catch((caught: unknown) => caught);
  expect(thrown).toBeInstanceOf(AstraError);
  return thrown as AstraError;
}

describe('recover after a failed upgrade', () => {
  it('restores the backup and says what stands, with doctor after it', async () => {
    const ports = portsWith(() => Promise.resolve('app is the backup B1 taken at 10:00.'));
    const error = await told(stateAt('apply', true), ports);
    expect(ports.restored).toEqual(['B1']);
    expect(lines).toContain('The upgrade failed during apply: could not create unique index "posts_body_key". Restoring backup B1…');
    expect(error.message).toBe(
      'The upgrade failed during apply: could not create unique index "posts_body_key". Rolled back: app is the backup B1 taken at 10:00. astra doctor after the rollback: all checks pass.',
    );
    expect(error.exitCode).toBe(1);
    expect(error.database).toBe('changed');
  });

  it('passes on the words of a restore that may have reached the database', async () => {
    const ports = portsWith(() =>
      Promise.reject(
        new AstraError('The restore of app was cut off; it may or may not have committed.', { fix: 'Check with astra status.', database: 'unknown' }),
      ),
    );
    const error = await told(stateAt('apply', true), ports);
    expect(error.message).toContain('Restoring backup B1 failed too: The restore of app was cut off; it may or may not have committed.');
    expect(error.fix).toBe('Check with astra status.');
    expect(error.database).toBe('unknown');
  });

  it('says a restore that changed nothing left the database as the failure did, and how to restore it', async () => {
    const ports = portsWith(() =>
      Promise.reject(operationError('Backup B1 failed verification, so it is not restored: sha256 mismatch.', 'Nothing was changed.')),
    );
    const error = await told(stateAt('apply', true), ports);
    expect(error.message).toBe(
      'The upgrade failed during apply: could not create unique index "posts_body_key". Restoring backup B1 failed too, changing nothing: Backup B1 failed verification, so it is not restored: sha256 mismatch. Migration(s) 3 were applied.',
    );
    expect(error.fix).toBe('Once the cause is fixed, restore the backup with astra rollback --to 1.0.0 --backup B1.');
    // As the failure left it: migration 3 applied.
    expect(error.database).toBe('changed');
    expect(error.schemaVersion).toBe(3);
  });

  it('does not restore with --no-rollback, and names the command', async () => {
    const ports = portsWith(() => Promise.resolve('restored'));
    const error = await told(stateAt('apply', true), ports, { ...options, noRollback: true });
    expect(ports.restored).toEqual([]);
    expect(error.message).toContain('Not rolled back (--no-rollback): migration(s) 3 were applied.');
    expect(error.fix).toContain('astra rollback --to 1.0.0 --backup B1');
  });

  it('stops at a safe point on Ctrl-C, restoring nothing', async () => {
    const ports = portsWith(() => Promise.resolve('restored'));
    const error = await told(
      stateAt('apply', true, true),
      ports,
      options,
      new MigrationsStoppedError([{ version: 3, name: 'index', file: '003-index.sql', durationMs: 1 }], 1),
    );
    expect(ports.restored).toEqual([]);
    expect(error.message).toBe('Stopped at a safe point as asked: migration(s) 3 were applied; the database is at migration 003-index.sql.');
  });

  it('an interrupted backup changed nothing and asks for nothing to be fixed', async () => {
    const ports = portsWith(() => Promise.resolve('restored'));
    const error = await told(
      { ...stateAt('backup', false, true), applied: [] },
      ports,
      options,
      operationError('Interrupted (SIGINT) while backup B2 was being taken.', 'Run it again.'),
    );
    expect(ports.restored).toEqual([]);
    expect(error.message).toBe('The upgrade failed during backup: Interrupted (SIGINT) while backup B2 was being taken. Nothing was changed.');
    expect(error.fix).toBe('Run astra upgrade again when ready.');
    expect(error.database).toBe('unchanged');
  });
});
