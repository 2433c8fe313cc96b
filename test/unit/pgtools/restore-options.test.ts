import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultRestoreJobs, restoreSessionOptions } from '../../../src/pgtools/pg-restore.js';

describe('pg_restore settings', () => {
  it('runs one job per core, at most 4, and fewer than the connections left', () => {
    const cores = Math.min(4, availableParallelism());
    expect(defaultRestoreJobs()).toBe(cores);
    expect(defaultRestoreJobs(100)).toBe(cores);
    expect(defaultRestoreJobs(2)).toBe(1);
    expect(defaultRestoreJobs(0)).toBe(1);
  });

  it("commits asynchronously, leaves index memory to the server, and puts the operator's PGOPTIONS last so that theirs win", () => {
    expect(restoreSessionOptions(undefined)).toBe('-c synchronous_commit=off');
    expect(restoreSessionOptions('  ')).toBe('-c synchronous_commit=off');
    expect(restoreSessionOptions('-c maintenance_work_mem=1GB')).toBe('-c synchronous_commit=off -c maintenance_work_mem=1GB');
  });
});
