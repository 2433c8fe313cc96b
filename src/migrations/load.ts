import { isUtf8 } from 'node:buffer';
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

/**
 * The byte offset of the first byte that is not valid UTF-8, or undefined
 * when all are. A decoder that replaces bad bytes with U+FFFD finds it; a
 * U+FFFD the file itself holds (EF BF BD) is told apart by its bytes.
 */
export function invalidUtf8Offset(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  const text = new TextDecoder('utf-8').decode(bytes);
  for (let index = text.indexOf('\uFFFD'); index >= 0; index = text.indexOf('\uFFFD', index + 1)) {
    const offset = Buffer.byteLength(text.slice(0, index));
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
  }
  return 0;
}

/** A migration file's bytes and its text. Bytes that are not UTF-8 are bad input: they would be stored as U+FFFD. */
function readSql(path: string): { bytes: Buffer; sql: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw inputError(`The migration file ${path} cannot be read: ${(error as Error).message}.`, 'Check its permissions.', error);
  }
  const offset = invalidUtf8Offset(bytes);
  if (offset !== undefined) {
    throw inputError(
      `The migration file ${path} is not valid UTF-8: byte ${offset} (0x${bytes[offset]!.toString(16).padStart(2, '0')}) starts no UTF-8 character; nothing was applied.`,
      'Save the file as UTF-8 (iconv -f <its encoding> -t utf-8), or write binary values as SQL escapes such as E\'\\xff\' or decode(\'ff\', \'hex\').',
    );
  }
  return { bytes, sql: bytes.toString('utf8') };
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
    const { bytes, sql } = readSql(path);
    // Index builds on existing tables run CONCURRENTLY, after the transactional statements, where possible.
    return { ...migration, path, sql, checksum: sha256(bytes), statements: rewriteForConcurrency(parseStatements(sql, migration.file)) };
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
  return rewriteForConcurrency(parseStatements(readSql(join(folder, migration.downFile)).sql, migration.downFile));
}
