import { Database } from './database.js';
import { quoteIdent } from './quote.js';
import { AstraError, errorMessage } from '../errors.js';
import { once, type Undo } from '../undo.js';
import { onAnyConnection } from './database-admin.js';

/** What was done to keep clients out of a database during an in-place restore, and how to undo it. */
export interface ConnectGuard {
  /** Whether new connections of the PUBLIC role are refused now (revoked, or PUBLIC had no CONNECT). */
  publicKeptOut: boolean;
  /** Login roles that can still connect (their own grant, ownership, superuser): astra's own among them. */
  rolesStillAllowed: string[];
  /** The statement that undoes the guard, for a person to run when astra could not. */
  undoStatement: string | null;
  /** Undoes the guard, from what it recorded (at most once; never throws); false when it could not. */
  release: Undo<boolean>;
}

/**
 * Keeps new clients out of `database` during an in-place restore, as far as
 * the role may: `REVOKE CONNECT ... FROM PUBLIC` when it owns the database
 * (granted back by `release`).
 *
 * `ALTER DATABASE ... ALLOW_CONNECTIONS false` would keep out everyone, but
 * also astra's own pg_dump (the safety backup) and psql (the restore), which
 * must connect after it; an in-place restore therefore cannot use it. Roles
 * with their own CONNECT grant, the owner and superusers can still connect:
 * they are listed, and the restore's final check refuses to commit while any
 * other client is connected.
 */
export async function keepClientsOut(db: Database, database: string): Promise<ConnectGuard> {
  const { rows } = await db.query<{ public_connect: boolean; owner: boolean }>(
    `SELECT has_database_privilege('public', d.datname, 'CONNECT') AS public_connect, pg_has_role(current_user, d.datdba, 'USAGE') AS owner
       FROM pg_database d WHERE d.datname = $1`,
    [database],
  );
  const publicConnect = rows[0]?.public_connect === true;
  const owner = rows[0]?.owner === true;
  const grantBack = `GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO PUBLIC`;
  const recorded = { revoked: false };
  const release = once(
    async () =>
      !recorded.revoked ||
      (await onAnyConnection(
        db,
        () => Database.connect(db.target),
        (on) => on.query(grantBack),
      )),
    false,
  );
  if (publicConnect && owner) {
    await db.query(`REVOKE CONNECT ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
    recorded.revoked = true;
  }
  const allowed = await db
    .query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles WHERE rolcanlogin AND (rolsuper OR has_database_privilege(oid, $1, 'CONNECT')) ORDER BY rolname`,
      [database],
    )
    .catch(async (error: unknown) => {
      if (await release()) throw error;
      throw new AstraError(
        `${errorMessage(error).replace(/\.$/, '')}; and CONNECT on ${database}, revoked from PUBLIC, could not be granted back, so clients cannot connect.`,
        {
          fix: `Run ${grantBack}; The data of ${database} is as it was.`,
          cause: error,
          // The data is as it was, but the database's grants are not.
          database: 'changed',
        },
      );
    });
  return {
    publicKeptOut: recorded.revoked || !publicConnect,
    rolesStillAllowed: allowed.rows.map((row) => row.rolname),
    undoStatement: recorded.revoked ? grantBack : null,
    release,
  };
}

/**
 * SQL run last in the restore's transaction: raises, so that nothing commits,
 * when a client other than astra (`astraPids`) is connected to the database.
 * Such a client may have written after the safety backup; those writes would
 * be in neither the safety backup nor the restored database.
 */
export function noOtherClientsCheck(astraPids: readonly number[]): string {
  const pids = astraPids.map((pid) => String(Math.trunc(pid))).join(', ') || '0';
  // A role without pg_read_all_stats sees backend_type as NULL for other
  // roles' sessions: those count too, when they have a user (background
  // workers such as autovacuum have none).
  return `DO $astra$
DECLARE
  others text;
BEGIN
  SELECT string_agg(pid::text, ', ' ORDER BY pid) INTO others FROM pg_stat_activity
   WHERE datname = current_database()
     AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))
     AND pid <> pg_backend_pid() AND pid NOT IN (${pids});
  IF others IS NOT NULL THEN
    RAISE EXCEPTION 'another client (pid %) is connected to the database, and may have written since the safety backup', others;
  END IF;
END $astra$;`;
}
