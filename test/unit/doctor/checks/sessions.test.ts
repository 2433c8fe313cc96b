import { describe, expect, it } from 'vitest';
import { judgeSessions, type Session } from '../../../../src/doctor/checks/sessions.js';

const session = (pid: number, extra: Partial<Session> = {}): Session => ({
  pid,
  state: 'idle',
  transactionMs: null,
  waitingOnLock: false,
  blockedBy: [],
  query: null,
  ...extra,
});

describe('sessions', () => {
  it('is ok when no session waits or holds a transaction open', () => {
    expect(judgeSessions([session(1), session(2, { state: 'active', transactionMs: 20 })])).toEqual({
      status: 'ok',
      detail: '2 other sessions, none waiting on a lock or holding a transaction open',
    });
  });

  it('warns about lock waits with the blocking pid, idle transactions and long ones, and says whom to end', () => {
    const outcome = judgeSessions([
      session(10, { state: 'idle in transaction', transactionMs: 2_000, query: 'LOCK TABLE accounts' }),
      session(11, { state: 'active', transactionMs: 1_000, waitingOnLock: true, blockedBy: [10], query: 'SELECT * FROM accounts' }),
      session(12, { state: 'active', transactionMs: 6 * 60_000, query: 'SELECT pg_sleep(1000)' }),
    ]);
    expect(outcome.status).toBe('warn');
    expect(outcome.detail).toBe(
      'waiting on locks: pid 11 is blocked by pid 10 (SELECT * FROM accounts); idle in transaction: pid 10 for 2.0 s (LOCK TABLE accounts); transactions open over 5 min: pid 12 for 6 min (SELECT pg_sleep(1000)). A migration would queue behind these and stall every session after it',
    );
    expect(outcome.fix).toContain('SELECT pg_terminate_backend(10); SELECT pg_terminate_backend(12);');
  });
});
