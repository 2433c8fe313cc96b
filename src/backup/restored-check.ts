import type { ConnectionTarget } from '../db/connection.js';
import { compareVersions } from '../migration-version.js';
import { Database } from '../db/database.js';
import type { BackupManifest } from './manifest.js';
import { countListedRows, rowCountDifferences } from './row-counts.js';
import { schemaState } from './snapshot.js';

/**
 * What differs between a restored database and the backup it came from: row
 * counts per table, and (unless `ledger` is false) the migrations astra's
 * ledger records. Empty when they match. A scratch copy restored without the
 * database's settings may not find the ledger on its search path: it is
 * compared with `ledger: false`.
 */
export async function restoredDifferences(
  target: ConnectionTarget,
  manifest: BackupManifest,
  options: { ledger: boolean } = { ledger: true },
): Promise<string[]> {
  const db = await Database.connect(target);
  try {
    const differences = rowCountDifferences(manifest.tables, await countListedRows(db, manifest.tables));
    if (!options.ledger) return differences;
    const state = await schemaState(db);
    const recorded = [...manifest.appliedMigrations].sort(compareVersions).join(',');
    if (state.appliedMigrations.join(',') !== recorded) {
      differences.push(
        manifest.schemaVersion === null
          ? `the ledger astra_migrations records migrations ${state.appliedMigrations.join(', ')}, the backup none`
          : `the ledger astra_migrations records ${state.appliedMigrations.length > 0 ? `migrations up to ${state.schemaVersion}` : 'no migration'}, the backup up to ${manifest.schemaVersion}`,
      );
    }
    return differences;
  } finally {
    await db.close();
  }
}

/**
 * Gathers the planner's statistics of a restored database (ANALYZE of every
 * table the role may analyze). pg_restore brings back no statistics: without
 * them the application's first queries are planned blind until autovacuum
 * gets to the tables, and that autovacuum then reads every one of them while
 * the application runs. Resolves to undefined, or to why it could not: a
 * restore does not fail for want of statistics.
 */
export async function gatherStatistics(target: ConnectionTarget): Promise<string | undefined> {
  try {
    const db = await Database.connect(target);
    try {
      await db.query('ANALYZE');
    } finally {
      await db.close();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
