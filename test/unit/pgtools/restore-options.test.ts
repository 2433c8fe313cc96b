import { describe, expect, it } from 'vitest';
import { defaultRestoreJobs, restoreSessionOptions } from '../../../src/pgtools/pg-restore.js';

describe('pg_restore settings', () => {
  it('runs one job per core, between 1 and 4', () => {
    const jobs = defaultRestoreJobs();
    expect(jobs).toBeGreaterThanOrEqual(1);
    expect(jobs).toBeLessThanOrEqual(4);
  });

  it("gives the restore sessions index memory and asynchronous commits, with the operator's PGOPTIONS after them so that theirs win", () => {
    expect(restoreSessionOptions(undefined)).toBe('-c maintenance_work_mem=256MB -c synchronous_commit=off');
    expect(restoreSessionOptions('  ')).toBe('-c maintenance_work_mem=256MB -c synchronous_commit=off');
    expect(restoreSessionOptions('-c maintenance_work_mem=1GB')).toBe('-c maintenance_work_mem=256MB -c synchronous_commit=off -c maintenance_work_mem=1GB');
  });
});
