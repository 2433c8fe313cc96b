import { join } from 'node:path';
import type { Context } from '../commands/context.js';
import type { Database } from '../db/database.js';
import { operationError } from '../errors.js';
import type { ClientTool } from '../pgtools/client-tools.js';
import { astraVersion } from '../version.js';
import { dropStatements, liveObjects, objectsNotInArchive } from './archive-extras.js';
import { childEnvironment } from './child-environment.js';
import { clearSessions } from './clear-sessions.js';
import { createBackup } from './create.js';
import type { BackupManifest } from './manifest.js';
import { listArchive, restoreInPlace } from './pg-restore.js';
import { restoredDifferences } from './restored-check.js';
import type { Session } from './sessions.js';
import { parseToc } from './toc.js';

export interface InPlaceOptions {
  pgRestore: ClientTool;
  psql: ClientTool;
  waitMs: number;
  force: boolean;
  confirmTerminate?: (sessions: Session[]) => Promise<boolean>;
  pgBinDir?: string;
  onProgress?: (line: string) => void;
}

/**
 * For a role that may not create or rename databases: waits for (or ends)
 * the other sessions, takes a fresh safety backup, then restores the backup
 * over the database in ONE transaction, first dropping what the backup does
 * not hold (objects created since). Any error rolls everything back. Returns the safety backup and what
 * differs between the restored database and the manifest (empty when all is
 * well); from the moment it returns, the database has been restored.
 */
export async function rollbackInPlace(context: Context, db: Database, manifest: BackupManifest, options: InPlaceOptions): Promise<{ safety: BackupManifest; differences: string[] }> {
  const { log } = context;
  const database = String(db.target.config.database);
  // Other sessions go first, so that the safety backup holds their last writes.
  // pg_stat_activity spans the server: astra's own connection serves to watch it.
  await clearSessions(db, {
    database,
    waitMs: options.waitMs,
    force: options.force,
    ...(options.confirmTerminate ? { confirmTerminate: options.confirmTerminate } : {}),
    blockNewConnections: false,
    log,
  });
  const safety = await createBackup(context, db, {
    ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  log.info(`Safety backup ${safety.id} taken: it holds ${database} as it was before this rollback.`);

  const archive = join(context.backupDir, manifest.archive);
  const listing = await listArchive(options.pgRestore.path, archive);
  if (!listing.ok) throw operationError(`pg_restore --list failed on backup ${manifest.id}: ${listing.problem}`, 'Nothing was changed; choose another backup.');
  const extras = objectsNotInArchive(await liveObjects(db), parseToc(listing.listing));
  if (extras.length > 0) {
    log.info(`Dropping ${extras.length} object(s) created after the backup: ${extras.map((object) => `${object.kind.toLowerCase()} ${object.schema ? `${object.schema}.` : ''}${object.name}`).join(', ')}.`);
  }

  log.info(`Restoring backup ${manifest.id} over ${database} in one transaction…`);
  await restoreInPlace({
    pgRestore: options.pgRestore.path,
    psql: options.psql.path,
    env: childEnvironment(db.target.config, `astra ${astraVersion} restore`),
    archive,
    prelude: dropStatements(extras),
  });
  return { safety, differences: await restoredDifferences(db.target, manifest) };
}
