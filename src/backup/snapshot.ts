import type { Database } from '../db/database.js';
import { maxVersion, type MigrationVersion } from '../migration-version.js';
import { Ledger } from '../db/ledger.js';

export interface SchemaState {
  /** Highest version in the ledger that is not dirty; null when none is applied. */
  schemaVersion: MigrationVersion | null;
  appliedMigrations: MigrationVersion[];
  /** Migrations started and not finished (dirty) when the snapshot was taken: the archive holds them half done. */
  unfinishedMigrations: MigrationVersion[];
}

/** What astra's ledger says is applied, read with `db`'s current snapshot. */
export async function schemaState(db: Database): Promise<SchemaState> {
  const ledger = await Ledger.open(db, { create: false });
  const rows = await ledger.rows();
  const applied = rows.filter((row) => !row.dirty).map((row) => row.version);
  const unfinishedMigrations = rows.filter((row) => row.dirty).map((row) => row.version);
  return { schemaVersion: maxVersion(applied) ?? null, appliedMigrations: applied, unfinishedMigrations };
}

/**
 * Runs `work` in a read-only REPEATABLE READ transaction whose snapshot is
 * exported: pg_dump started with `--snapshot=<it>` sees exactly the data that
 * `work`'s own queries see. The transaction stays open until `work` ends.
 */
export async function withExportedSnapshot<T>(db: Database, work: (snapshot: string) => Promise<T>): Promise<T> {
  return db.transaction(async () => {
    await db.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { rows } = await db.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const snapshot = rows[0]?.snapshot;
    if (!snapshot) throw new Error('the server did not export a snapshot');
    return work(snapshot);
  });
}

/** "15.18 (Debian 15.18-0+deb12u1)" → "15.18". */
export async function serverVersionText(db: Database): Promise<string> {
  const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
  return (rows[0]?.server_version ?? '').split(' ')[0] ?? '';
}

export function majorOf(serverVersionNum: number): number {
  return Math.floor(serverVersionNum / 10_000);
}
