import { describe, expect, it } from 'vitest';
import { psqlOutcome } from '../../../src/pgtools/pg-restore.js';

describe('psqlOutcome (psql --single-transaction with ON_ERROR_STOP)', () => {
  it('is committed only on exit 0', () => {
    expect(psqlOutcome(0, '')).toEqual({ state: 'committed' });
  });

  it('is unchanged when an error stopped the script (3) or psql could not start it (1)', () => {
    expect(psqlOutcome(3, 'ERROR: x')).toMatchObject({ state: 'unchanged', stage: 'apply' });
    expect(psqlOutcome(1, 'no file')).toMatchObject({ state: 'unchanged', stage: 'apply' });
  });

  it('is unknown when the connection was lost (2) or psql died: COMMIT may have happened', () => {
    expect(psqlOutcome(2, 'connection lost')).toEqual({ state: 'unknown', problem: 'connection lost' });
    expect(psqlOutcome(2, 'server closed the connection unexpectedly')).toMatchObject({ state: 'unknown' });
    expect(psqlOutcome(undefined, 'killed')).toEqual({ state: 'unknown', problem: 'killed' });
  });
});

describe('psqlOutcome when psql never connected', () => {
  it('is unchanged: psql sent nothing', () => {
    const problem = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already';
    expect(psqlOutcome(2, problem)).toEqual({ state: 'unchanged', stage: 'apply', problem, canceled: false });
  });
});
