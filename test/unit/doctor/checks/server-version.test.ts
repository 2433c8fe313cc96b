import { describe, expect, it } from 'vitest';
import { judgeServerVersion } from '../../../../src/doctor/checks/server-version.js';

describe('server-version', () => {
  it('is ok from 13 to 17', () => {
    expect(judgeServerVersion(130_000, '13.0').status).toBe('ok');
    expect(judgeServerVersion(170_004, '17.4')).toEqual({ status: 'ok', detail: 'PostgreSQL 17.4 (supported: 13 to 17)' });
  });

  it('fails older servers and warns on newer ones', () => {
    expect(judgeServerVersion(120_019, '12.19')).toMatchObject({ status: 'fail', detail: 'PostgreSQL 12.19 is older than astra supports (13 to 17)' });
    const newer = judgeServerVersion(180_000, '18.0');
    expect(newer).toMatchObject({ status: 'warn', detail: 'PostgreSQL 18.0 is newer than the versions astra is tested with (13 to 17): not tested' });
    expect(newer.fix).toContain('astra backup create');
  });
});
