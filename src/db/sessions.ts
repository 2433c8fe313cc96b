import { closingConnectionsEnded, type Database } from './database.js';

/** Another session connected to a database astra wants to rename. */
export interface Session {
  pid: number;
  database: string;
  applicationName: string;
  clientAddress: string | null;
  state: string | null;
}

/** Sessions on `databases` other than `admin`'s own and those of `exclude` (astra's other connections). */
export async function sessionsOn(admin: Database, databases: readonly string[], exclude: readonly number[] = []): Promise<Session[]> {
  // A connection of this process closed without waiting shows until its server process ends: not one of the sessions in the way.
  await closingConnectionsEnded();
  const { rows } = await admin.query<{ pid: number; datname: string; application_name: string | null; client_addr: string | null; state: string | null }>(
    `SELECT pid, datname, application_name, client_addr::text AS client_addr, state
       FROM pg_stat_activity
      WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid() AND pid <> ALL($2::int[])
      ORDER BY pid`,
    [databases, exclude],
  );
  return rows.map((row) => ({
    pid: row.pid,
    database: row.datname,
    applicationName: row.application_name ?? '',
    clientAddress: row.client_addr,
    state: row.state,
  }));
}

/** Ends the sessions; returns the pids that could not be ended (another role's, without the privilege). */
export async function terminateSessions(admin: Database, sessions: readonly Session[]): Promise<number[]> {
  const refused: number[] = [];
  for (const session of sessions) {
    const { rows } = await admin
      .query<{ ended: boolean }>('SELECT pg_terminate_backend($1::int, 5000) AS ended', [session.pid])
      .catch(() => ({ rows: [{ ended: false }] }));
    // A session that left on its own meanwhile is ended too.
    if (!rows[0]?.ended && (await stillThere(admin, session.pid))) refused.push(session.pid);
  }
  return refused;
}

/** Whether the server process `pid` is still listed among the server's sessions. */
async function listed(admin: Database, pid: number): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return (rowCount ?? 0) > 0;
}

/** listed, taking a failure to look as still there: the safe answer for a session to end. */
async function stillThere(admin: Database, pid: number): Promise<boolean> {
  return listed(admin, pid).catch(() => true);
}

/** "pid 4242 (app-server, 10.0.0.7, idle) on shop" per line. */
export function describeSessions(sessions: readonly Session[]): string {
  return sessions
    .map((session) => {
      const details = [session.applicationName || 'no application name', session.clientAddress ?? 'local socket', session.state ?? 'state hidden'];
      return `  pid ${session.pid} (${details.join(', ')}) on ${session.database}`;
    })
    .join('\n');
}

/** Waits (up to `waitMs`) until the server process `pid` has ended: a closed connection's backend exits a moment later. */
export async function waitForBackendExit(admin: Database, pid: number, waitMs = 5000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!(await listed(admin, pid))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
