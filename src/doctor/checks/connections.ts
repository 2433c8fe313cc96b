import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

export const WARN_CONNECTIONS_RATIO = 0.8;
export const FAIL_CONNECTIONS_RATIO = 0.95;

/** Decides on the server's connection count against max_connections. */
export function judgeConnections(inUse: number, maxConnections: number): CheckOutcome {
  const ratio = maxConnections > 0 ? inUse / maxConnections : 1;
  const detail = `${inUse} of max_connections ${maxConnections} in use (${Math.round(ratio * 100)}%)`;
  const fix =
    'Find who holds them (SELECT datname, usename, application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC;), ' +
    'put a pooler such as PgBouncer in front of the application, or raise max_connections (needs a server restart).';
  if (ratio > FAIL_CONNECTIONS_RATIO) return { status: 'fail', detail: `${detail}: new sessions, including the upgrade's, are about to be refused`, fix };
  if (ratio > WARN_CONNECTIONS_RATIO) return { status: 'warn', detail: `${detail}: close to the limit`, fix };
  return { status: 'ok', detail };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  // Client sessions take the max_connections slots; background workers (autovacuum) have their own.
  // A role without pg_read_all_stats sees other roles' sessions with a NULL backend_type, but with a user.
  const { rows } = await db.query<{ in_use: string; max: string }>(
    `SELECT (SELECT count(*) FROM pg_stat_activity
              WHERE backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))::text AS in_use,
            current_setting('max_connections') AS max`,
  );
  return judgeConnections(Number(rows[0]?.in_use ?? 0), Number(rows[0]?.max ?? 0));
}

export const connections: DoctorCheck = {
  id: 'connections',
  title: 'Connections',
  area: 'database',
  connection: 'needs',
  run,
};
