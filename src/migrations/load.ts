import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../errors.js';
import { discoverMigrations, inRange, type DiscoveredMigration, type VersionRange } from './discover.js';

export type { VersionRange } from './discover.js';
import { loadParser, parseStatements, type Statement } from './parse.js';
import { rewriteForConcurrency } from '../analysis/concurrency.js';

export interface Migration extends DiscoveredMigration {
  path: string;
  sql: string;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  statements: Statement[];
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function readFolder(folder: string): string[] {
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    return readdirSync(folder);
  } catch (error) {
    throw inputError(`The migrations folder ${folder} cannot be read: ${(error as Error).message}.`, 'Check --migrations-dir.', error);
  }
}

function readSql(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw inputError(`The migration file ${path} cannot be read: ${(error as Error).message}.`, 'Check its permissions.', error);
  }
}

/** Lists the folder's migrations (those in `versions`, when given), sorted, without reading them. */
export function listMigrations(folder: string, versions?: VersionRange): DiscoveredMigration[] {
  return discoverMigrations(readFolder(folder), folder).filter((migration) => inRange(migration.version, versions));
}

/**
 * Reads and parses every up migration of a folder (those in `versions`, when
 * given). Any unreadable or
 * unparseable file stops everything before the database is touched.
 */
export async function loadMigrations(folder: string, versions?: VersionRange): Promise<Migration[]> {
  const discovered = listMigrations(folder, versions);
  await loadParser();
  return discovered.map((migration) => {
    const path = join(folder, migration.file);
    const sql = readSql(path);
    // Index builds on existing tables run CONCURRENTLY, after the transactional statements, where possible.
    return { ...migration, path, sql, checksum: sha256(sql), statements: rewriteForConcurrency(parseStatements(sql, migration.file)) };
  });
}

/** Reads and parses the down migration of `migration`; an input error when it has none. */
export async function loadDownStatements(folder: string, migration: DiscoveredMigration): Promise<Statement[]> {
  if (!migration.downFile) {
    throw inputError(
      `Migration ${migration.version} (${migration.file}) has no down migration, so it cannot be undone by astra migrate.`,
      'Write its .down.sql file, or restore the backup taken before it with astra rollback.',
    );
  }
  await loadParser();
  return rewriteForConcurrency(parseStatements(readSql(join(folder, migration.downFile)), migration.downFile));
}
