import { describe, expect, it } from 'vitest';
import { gatherStatistics } from '../../../src/backup/restored-check.js';
import type { ConnectionTarget } from '../../../src/db/target.js';

// Nothing listens on port 1: the connection is refused at once.
const unreachable: ConnectionTarget = { source: 'flag', config: { host: '127.0.0.1', port: 1, user: 'u', database: 'd' }, label: 'u@127.0.0.1:1/d' };

describe('gatherStatistics', () => {
  it('resolves to why it could not, and never rejects, when the database cannot be reached', async () => {
    const outcome = await gatherStatistics(unreachable);
    expect(outcome).toEqual({ gathered: false, problem: expect.stringContaining('Could not connect to PostgreSQL at 127.0.0.1:1') as unknown });
  });

  it('does not start once interrupted, and says so', async () => {
    const stop = new AbortController();
    stop.abort(new Error('interrupted'));
    expect(await gatherStatistics(unreachable, stop.signal)).toEqual({ gathered: false, problem: 'interrupted before it began' });
  });
});
