import pg from 'pg';
import { lockModeFromPgLocks, lockStrength, type Blocks, type LockMode } from '../../src/analysis/locks.js';

/** What the server does to one table while a statement runs. */
export interface Measurement {
  /** The strongest lock the statement's session holds (or asks for) on the table; null when none. */
  lock: LockMode | null;
  /** The table's relfilenode changed: its storage was written anew. */
  rewrite: boolean;
  /**
   * What a second session could not do while the statement held (or waited
   * for) its lock: read the relation, or write to it (an UPDATE that changes no
   * row on a table, ROW EXCLUSIVE on a view, nextval() on a sequence). Probed
   * with a short lock_timeout.
   */
  blocks: Blocks;
  /** False for a materialized view, which nothing but its refresh writes to: only reads were probed. */
  writesProbed: boolean;
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
  /** Tries to read and to write the relation while the statement holds or waits for its lock. */
  probe: pg.Client;
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

interface Watched {
  oid: number;
  filenode: number;
  /** schema.name, each part quoted by the server. */
  name: string;
  /** pg_class.relkind: r, p, v, m, S... */
  kind: string;
  /** Its first column, quoted. */
  column: string;
}

async function relation(client: pg.Client, table: string): Promise<Watched> {
  const { rows } = await client.query<Watched>(
    `SELECT c.oid::int AS oid, c.relfilenode::int AS filenode, c.relkind::text AS kind,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
            (SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1) AS column
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
    [table],
  );
  if (!rows[0]) throw new Error(`The setup did not create ${table}.`);
  return rows[0];
}

/** The statement's session is waiting for a lock (a probe's wait ends in lock_timeout, 55P03). */
const LOCK_TIMEOUT = '55P03';

/** Runs `sql` on the probe session in a transaction of its own, with a short lock_timeout: false when it had to give up waiting. */
async function gets(probe: pg.Client, sql: string): Promise<boolean> {
  await probe.query('BEGIN');
  try {
    await probe.query("SET LOCAL lock_timeout = '100ms'");
    await probe.query(sql);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_TIMEOUT) return false;
    throw error;
  } finally {
    await probe.query('ROLLBACK');
  }
}

/**
 * What the application cannot do to the watched relation right now: a read
 * (SELECT) and a write (on a table an UPDATE that plans and opens what a real
 * one does without changing a row; on the other kinds the lock a write takes).
 */
async function probeBlocks(probe: pg.Client, watched: Watched): Promise<Pick<Measurement, 'blocks' | 'writesProbed'>> {
  const reads = await gets(probe, `SELECT FROM ${watched.name} LIMIT 1`);
  const write = writeProbe(watched);
  const writes = write === undefined ? reads : await gets(probe, write);
  if (!reads && !writes) return { blocks: 'reads+writes', writesProbed: write !== undefined };
  if (!reads) throw new Error(`${watched.name} could be written but not read: no lock mode does that.`);
  return { blocks: writes ? 'none' : 'writes', writesProbed: write !== undefined };
}

/** The statement that takes the lock a write takes on the relation; undefined for a materialized view. */
function writeProbe(watched: Watched): string | undefined {
  switch (watched.kind) {
    case 'r':
    case 'p':
      // A condition the planner cannot prove false: every partition and index is opened, as for a real UPDATE; no row changes.
      return `UPDATE ${watched.name} SET ${watched.column} = ${watched.column} WHERE random() < 0`;
    case 'v':
      return `LOCK TABLE ${watched.name} IN ROW EXCLUSIVE MODE`;
    case 'S':
      return `SELECT nextval('${watched.name.replace(/'/g, "''")}')`;
    case 'm':
      return undefined;
    default:
      throw new Error(`The corpus does not watch relations of kind ${watched.kind}.`);
  }
}

async function filenodeOf(client: pg.Client, oid: number): Promise<number | undefined> {
  const { rows } = await client.query<{ filenode: number }>('SELECT relfilenode::int AS filenode FROM pg_class WHERE oid = $1', [oid]);
  return rows[0]?.filenode;
}

/**
 * Runs `statement` in an open transaction, reads the locks its session holds
 * on `table` from pg_locks and probes what another session can still do with
 * the table before rolling back, and compares relfilenode before and after.
 */
export async function measureInTransaction(sessions: CorpusSessions, statement: string, table: string): Promise<Measurement> {
  const client = sessions.runner;
  const before = await relation(client, table);
  await client.query('BEGIN');
  try {
    await client.query(statement);
    const { rows } = await client.query<{ mode: string }>(
      'SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = $1 AND relation = $2 AND granted',
      ['relation', before.oid],
    );
    const after = await filenodeOf(client, before.oid);
    return {
      lock: strongest(rows.map((row) => row.mode)),
      rewrite: after !== undefined && after !== before.filenode,
      ...(await probeBlocks(sessions.probe, before)),
      how: 'held in the open transaction',
    };
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
  const { runner, blocker, observer, probe } = sessions;
  const before = await relation(runner, table);
  const { rows: pidRows } = await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = pidRows[0]!.pid;
  await blocker.query('BEGIN');
  try {
    // LOCK TABLE refuses a materialized view; ANALYZE in a transaction holds the same lock until it ends.
    await blocker.query(before.kind === 'm' ? `ANALYZE ${before.name}` : `LOCK TABLE ${before.name} IN SHARE UPDATE EXCLUSIVE MODE`);
  } catch (error) {
    await blocker.query('ROLLBACK');
    throw error;
  }
  let finished = false;
  const running = runner.query(statement).finally(() => {
    finished = true;
  });
  running.catch(() => undefined);
  let modes: string[] = [];
  // Waiting in the lock queue, the statement already stops what its lock would: later requests queue behind it.
  let probed: Pick<Measurement, 'blocks' | 'writesProbed'> = { blocks: 'none', writesProbed: writeProbe(before) !== undefined };
  try {
    while (!finished) {
      const { rows } = await observer.query<{ mode: string }>('SELECT mode FROM pg_locks WHERE pid = $1 AND locktype = $2 AND relation = $3 AND NOT granted', [
        pid,
        'relation',
        before.oid,
      ]);
      if (rows.length > 0) {
        modes = rows.map((row) => row.mode);
        probed = await probeBlocks(probe, before);
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
    ...probed,
    how: 'requested while another session holds SHARE UPDATE EXCLUSIVE',
  };
}
