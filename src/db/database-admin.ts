import { labelOf, type ConnectionTarget } from './connection.js';
import { Database, isPgError } from './database.js';
import { quoteIdent, quoteLiteral } from './quote.js';

/** The same server and credentials, another database. */
export function targetFor(target: ConnectionTarget, database: string): ConnectionTarget {
  const config = { ...target.config, database };
  return { source: target.source, config, label: labelOf(config) };
}

/**
 * A connection to the server's maintenance database ("postgres", else
 * "template1") with the target's credentials: for creating, renaming and
 * dropping databases, which cannot be done from inside them.
 */
export async function connectMaintenance(target: ConnectionTarget): Promise<Database> {
  const candidates = ['postgres', 'template1'].filter((name) => name !== target.config.database);
  let lastError: unknown;
  for (const name of candidates) {
    try {
      return await Database.connect(targetFor(target, name));
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export async function databaseExists(admin: Database, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

/** What a copy of a database needs to match it: owner, encoding, locale, tablespace. */
export interface DatabaseShape {
  owner: string;
  encoding: string;
  collate: string;
  ctype: string;
  localeProvider: 'libc' | 'icu';
  icuLocale: string | null;
  tablespace: string;
}

export async function databaseShape(admin: Database, name: string): Promise<DatabaseShape> {
  const versionNum = await admin.serverVersionNum();
  const icu = versionNum >= 170000 ? 'd.datlocale' : versionNum >= 150000 ? 'd.daticulocale' : 'NULL::text';
  const provider = versionNum >= 150000 ? 'd.datlocprovider::text' : "'c'";
  const { rows } = await admin.query<{
    owner: string;
    encoding: string;
    collate: string;
    ctype: string;
    provider: string;
    icu_locale: string | null;
    tablespace: string;
  }>(
    `SELECT pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate,
            d.datctype AS ctype, ${provider} AS provider, ${icu} AS icu_locale, t.spcname AS tablespace
       FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
      WHERE d.datname = $1`,
    [name],
  );
  const row = rows[0];
  if (!row) throw new Error(`the database ${name} does not exist`);
  return {
    owner: row.owner,
    encoding: row.encoding,
    collate: row.collate,
    ctype: row.ctype,
    localeProvider: row.provider === 'i' ? 'icu' : 'libc',
    icuLocale: row.icu_locale,
    tablespace: row.tablespace,
  };
}

/** Creates an empty database from template0, shaped like `like` when given. */
export async function createEmptyDatabase(admin: Database, name: string, like?: DatabaseShape): Promise<void> {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`];
  if (like) {
    parts.push(`OWNER ${quoteIdent(like.owner)} ENCODING ${quoteLiteral(like.encoding)}`);
    parts.push(`LC_COLLATE ${quoteLiteral(like.collate)} LC_CTYPE ${quoteLiteral(like.ctype)}`);
    if (like.localeProvider === 'icu' && like.icuLocale) parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(like.icuLocale)}`);
    if (like.tablespace !== 'pg_default') parts.push(`TABLESPACE ${quoteIdent(like.tablespace)}`);
  }
  await admin.query(parts.join(' '));
}

/** Drops a database, disconnecting whoever is still in it (PostgreSQL 13+). Never throws when it is already gone. */
export async function dropDatabase(admin: Database, name: string): Promise<void> {
  const force = (await admin.serverVersionNum()) >= 130000 ? ' WITH (FORCE)' : '';
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`);
  } catch (error) {
    if (!isPgError(error) || error.code !== '3D000') throw error;
  }
}

/** Whether the connected role may create databases, and may rename (own) `name`. */
export async function databasePrivileges(admin: Database, name: string): Promise<{ role: string; superuser: boolean; createdb: boolean; owner: boolean }> {
  const { rows } = await admin.query<{ role: string; superuser: boolean; createdb: boolean; owner: boolean }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
            pg_has_role(r.oid, d.datdba, 'MEMBER') AS owner
       FROM pg_roles r, pg_database d
      WHERE r.rolname = current_user AND d.datname = $1`,
    [name],
  );
  const row = rows[0];
  if (!row) throw new Error(`the database ${name} does not exist`);
  return row;
}

/**
 * Runs `work` on `db`, or on a fresh connection from `reconnect` when that
 * fails (the connection may have been lost): for undo steps that must reach the
 * server if it can be reached at all. False when neither could; never throws.
 */
export async function onAnyConnection(db: Database, reconnect: () => Promise<Database>, work: (db: Database) => Promise<unknown>): Promise<boolean> {
  try {
    await work(db);
    return true;
  } catch {
    try {
      const fresh = await reconnect();
      try {
        await work(fresh);
        return true;
      } finally {
        await fresh.close();
      }
    } catch {
      return false;
    }
  }
}
