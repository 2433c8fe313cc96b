import pg from 'pg';
import { lockModeFromPgLocks, lockStrength, type LockMode } from '../../src/analysis/locks.js';

/** What the server does to one table while a statement runs. */
export interface Measurement {
  /** The strongest lock the statement's session holds (or asks for) on the table; null when none. */
  lock: LockMode | null;
  /** The table's relfilenode changed: its storage was written anew. */
  rewrite: boolean;
  /** How the lock was observed. */
  how: 'held in the open transaction' | 'requested while another session holds SHARE UPDATE EXCLUSIVE';
}

export interface CorpusSessions {
  /** Runs the setup and the statement. */
  runner: pg.Client;
  /** Holds the blocking lock for statements that cannot run in a transaction. */
  blocker: pg.Client;
  /** Reads pg_locks while the runner waits. */
  observer: pg.Client;
}

function strongest(modes: string[]): LockMode | null {
  let best: LockMode | null = null;
  for (const name of modes) {
    const mode = lockModeFromPgLocks(name);
    if (!mode) throw new Error(`pg_locks reported an unknown lock mode ${name}`);
    if (best === null || lockStrength(mode) > lockStrength(best)) best = mode;
  }
  return best;
}

async function relation(client: pg.Client, table: string): Promise<{ oid: number; filenode: number }> {
  const { rows } = await client.query<{ oid: number; filenode: number }>(
    'SELECT c.oid::int AS oid, c.relfilenode::int AS filenode FROM pg_class c WHERE c.oid = to_regclass($1)',
    [table],
  );
  if (!rows[0]) throw new Error(`The setup did not create ${table}.`);
  return rows[0];
}

async function filenodeOf(client: pg.Client, oid: number): Promise<number | undefined> {
  const { rows } = await client.query<{ filenode: number }>('SELECT relfilenode::int AS filenode FROM pg_class WHERE oid = $1', [oid]);
  return rows[0]?.filenode;
}

/**
 * Runs `statement` in an open transaction, reads the locks its session holds
 * on `table` from pg_locks before rolling back, and compares relfilenode
 * before and after.
 */
export async function measureInTransaction(client: pg.Client, statement: string, table: string): Promise<Measurement> {
  const before = await relation(client, table);
  await client.query('BEGIN');
  try {
    await client.query(statement);
    const { rows } = await client.query<{ mode: string }>(
      'SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = $1 AND relation = $2 AND granted',
      ['relation', before.oid],
    );
    const after = await filenodeOf(client, before.oid);
    return { lock: strongest(rows.map((row) => row.mode)), rewrite: after !== undefined && after !== before.filenode, how: 'held in the open transaction' };
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * For statements that cannot run in a transaction block (CONCURRENTLY,
 * VACUUM): another session holds SHARE UPDATE EXCLUSIVE on `table`, which lets
 * the statement's first, weak lookups through (VACUUM opens the table with
 * ACCESS SHARE before it locks it) and stops it at its real lock, at SHARE
 * UPDATE EXCLUSIVE or stronger; pg_locks shows the mode it waits for. Then the
 * blocker lets go, the statement finishes, and relfilenode is compared. A
 * statement that needs nothing that strong finishes without waiting: null.
 */
export async function measureOutsideTransaction(sessions: CorpusSessions, statement: string, table: string): Promise<Measurement> {
  const { runner, blocker, observer } = sessions;
  const before = await relation(runner, table);
  const { rows: pidRows } = await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = pidRows[0]!.pid;
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE ${await qualifiedName(observer, before.oid)} IN SHARE UPDATE EXCLUSIVE MODE`);
  let finished = false;
  const running = runner.query(statement).finally(() => {
    finished = true;
  });
  running.catch(() => undefined);
  let modes: string[] = [];
  try {
    while (!finished) {
      const { rows } = await observer.query<{ mode: string }>('SELECT mode FROM pg_locks WHERE pid = $1 AND locktype = $2 AND relation = $3 AND NOT granted', [
        pid,
        'relation',
        before.oid,
      ]);
      if (rows.length > 0) {
        modes = rows.map((row) => row.mode);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await blocker.query('ROLLBACK');
  }
  await running;
  const after = await filenodeOf(runner, before.oid);
  return {
    lock: strongest(modes),
    rewrite: after !== undefined && after !== before.filenode,
    how: 'requested while another session holds SHARE UPDATE EXCLUSIVE',
  };
}

/** schema.name of a relation, each part quoted by the server. */
async function qualifiedName(client: pg.Client, oid: number): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
    [oid],
  );
  return rows[0]!.name;
}
