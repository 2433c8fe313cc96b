import { oneLine } from '../../migrations/plan.js';
import { formatAge } from '../format.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** A transaction open longer than this holds back vacuum and may hold locks a migration needs. */
export const LONG_TRANSACTION_MS = 5 * 60_000;

export interface Session {
  pid: number;
  state: string | null;
  /** How long its transaction has been open, or null when none is. */
  transactionMs: number | null;
  waitingOnLock: boolean;
  blockedBy: number[];
  query: string | null;
}

const what = (session: Session) => (session.query ? ` (${oneLine(session.query, 60)})` : '');

/** Decides on the other sessions of the database: what would stall a migration. */
export function judgeSessions(sessions: Session[], longTransactionMs = LONG_TRANSACTION_MS): CheckOutcome {
  const waiting = sessions.filter((session) => session.waitingOnLock);
  const idle = sessions.filter((session) => session.state?.startsWith('idle in transaction'));
  const long = sessions.filter(
    (session) => !idle.includes(session) && !waiting.includes(session) && session.transactionMs !== null && session.transactionMs > longTransactionMs,
  );
  const parts: string[] = [];
  if (waiting.length > 0) {
    parts.push(
      `waiting on locks: ${waiting
        .map((session) => `pid ${session.pid}${session.blockedBy.length > 0 ? ` is blocked by pid ${session.blockedBy.join(', ')}` : ' waits'}${what(session)}`)
        .join(', ')}`,
    );
  }
  if (idle.length > 0)
    parts.push(`idle in transaction: ${idle.map((session) => `pid ${session.pid} for ${formatAge(session.transactionMs ?? 0)}${what(session)}`).join(', ')}`);
  if (long.length > 0) {
    parts.push(
      `transactions open over ${formatAge(longTransactionMs)}: ${long.map((session) => `pid ${session.pid} for ${formatAge(session.transactionMs ?? 0)}${what(session)}`).join(', ')}`,
    );
  }
  if (parts.length === 0)
    return {
      status: 'ok',
      detail: `${sessions.length} other ${sessions.length === 1 ? 'session' : 'sessions'}, none waiting on a lock or holding a transaction open`,
    };
  const culprits = [
    ...new Set([...waiting.flatMap((session) => session.blockedBy), ...idle.map((session) => session.pid), ...long.map((session) => session.pid)]),
  ].sort((a, b) => a - b);
  return {
    status: 'warn',
    detail: `${parts.join('; ')}. A migration would queue behind these and stall every session after it`,
    fix: `Let them finish, or end them: ${culprits.map((pid) => `SELECT pg_terminate_backend(${pid});`).join(' ')} Set idle_in_transaction_session_timeout in the application to keep this from coming back.`,
  };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{
    pid: number;
    state: string | null;
    transaction_ms: number | null;
    waiting: boolean;
    blocked_by: number[];
    query: string | null;
  }>(
    `SELECT pid, state,
            (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::float8 AS transaction_ms,
            coalesce(wait_event_type = 'Lock', false) AS waiting,
            pg_blocking_pids(pid) AS blocked_by,
            query
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      ORDER BY pid`,
  );
  return judgeSessions(
    rows.map((row) => ({
      pid: row.pid,
      state: row.state,
      transactionMs: row.transaction_ms,
      waitingOnLock: row.waiting,
      blockedBy: row.blocked_by ?? [],
      query: row.query,
    })),
  );
}

export const sessions: DoctorCheck = {
  id: 'sessions',
  title: 'Sessions',
  area: 'database',
  connection: 'needs',
  run,
};
