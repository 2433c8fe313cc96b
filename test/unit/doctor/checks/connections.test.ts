import { describe, expect, it } from 'vitest';
import { judgeConnections } from '../../../../src/doctor/checks/connections.js';
import { match } from '../../../helpers/matchers.js';

describe('connections', () => {
  it('is ok up to 80% of max_connections', () => {
    expect(judgeConnections(80, 100)).toEqual({ status: 'ok', detail: '80 of max_connections 100 in use (80%)' });
  });

  it('warns above 80% and fails above 95%', () => {
    expect(judgeConnections(81, 100).status).toBe('warn');
    expect(judgeConnections(95, 100).status).toBe('warn');
    expect(judgeConnections(96, 100)).toMatchObject({ status: 'fail', fix: match.stringContaining('max_connections') });
  });
});
