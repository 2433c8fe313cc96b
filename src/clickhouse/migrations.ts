import { join } from 'node:path';
import { inputError } from '../errors.js';
import { listMigrations, readSql, sha256, type VersionRange } from '../migrations/load.js';
import { discoverRepeatables, type DiscoveredMigration } from '../migrations/discover.js';
import { readdirSync } from 'node:fs';
import { isWholeVersion } from '../migration-version.js';
import { splitStatements, UnclosedSqlError, type Statement } from './statements.js';

/** A ClickHouse migration file, read and cut into statements. */
export interface ClickhouseMigration extends DiscoveredMigration {
  /** Whole numbers only: the ClickHouse ledger keeps versions as UInt64. */
  version: number;
  path: string;
  /** Over the file's bytes: an applied migration whose file changed is drift. */
  checksum: string;
  statements: Statement[];
}

/** The statements of a file, or an input error naming the file and the line. */
export function statementsOf(path: string, sql: string): Statement[] {
  try {
    const statements = splitStatements(sql);
    if (statements.length === 0) throw inputError(`The ClickHouse migration ${path} holds no statement.`, 'Write its SQL, or remove the file.');
    return statements;
  } catch (error) {
    if (error instanceof UnclosedSqlError)
      throw inputError(`The ClickHouse migration ${path} cannot be read: ${error.message}.`, 'Close it; nothing was applied.', error);
    throw error;
  }
}

/**
 * The checksum of the first `count` statements as they will be sent: what a
 * migration that stopped part way had completed. The statements after them
 * may change (the fix); these may not, since they are not run again.
 */
export function prefixChecksum(statements: Statement[], count: number): string {
  return sha256(JSON.stringify(statements.slice(0, count).map((statement) => statement.text)));
}

/**
 * The folder's migrations, named as for PostgreSQL (`001_llm_usage.sql`,
 * `000001_name.up.sql` with an optional `.down.sql`), ordered by number.
 * Any unreadable file stops everything before the database is touched.
 */
export function loadClickhouseMigrations(folder: string, versions?: VersionRange): ClickhouseMigration[] {
  // Listed first: a folder that cannot be read is an input error that says so.
  const listed = listMigrations(folder, versions);
  const repeatable = discoverRepeatables(readdirSync(folder))[0];
  if (repeatable) {
    throw inputError(
      `The ClickHouse migration ${repeatable.file} is a repeatable (R__) migration; astra runs those on PostgreSQL only.`,
      'Make it a numbered migration; nothing was applied.',
    );
  }
  return listed.map((migration) => {
    const version = migration.version;
    if (!isWholeVersion(version)) {
      throw inputError(
        `The ClickHouse migration ${migration.file} has the dotted version ${version}; ClickHouse migrations are numbered with whole numbers.`,
        'Rename it with a whole number above the last one; nothing was applied.',
      );
    }
    const path = join(folder, migration.file);
    const { bytes, sql } = readSql(path);
    return { ...migration, version, path, checksum: sha256(bytes), statements: statementsOf(path, sql) };
  });
}

/** The statements of a migration's .down.sql file; an input error when it has none. */
export function loadClickhouseDown(folder: string, migration: DiscoveredMigration): Statement[] {
  if (!migration.downFile) {
    throw inputError(
      `The ClickHouse migration ${migration.file} has no .down.sql file, so it cannot be undone; nothing was changed.`,
      `Write ${migration.file.replace(/(\.up)?\.sql$/, '.down.sql')} to undo it.`,
    );
  }
  const path = join(folder, migration.downFile);
  return statementsOf(path, readSql(path).sql);
}
