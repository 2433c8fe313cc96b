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

  it("shares 256MB of index memory among the jobs (64MB at least), commits asynchronously, and puts the operator's PGOPTIONS last so that theirs win", () => {
    expect(restoreSessionOptions(undefined)).toBe('-c maintenance_work_mem=256MB -c synchronous_commit=off');
    expect(restoreSessionOptions('  ', 2)).toBe('-c maintenance_work_mem=128MB -c synchronous_commit=off');
    expect(restoreSessionOptions(undefined, 8)).toBe('-c maintenance_work_mem=64MB -c synchronous_commit=off');
    expect(restoreSessionOptions('-c maintenance_work_mem=1GB', 1)).toBe('-c maintenance_work_mem=256MB -c synchronous_commit=off -c maintenance_work_mem=1GB');
  });
});
