import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from '../errors.js';
import { discoverMigrations, discoverRepeatables, inRange, type DiscoveredMigration, type VersionRange } from './discover.js';

export type { VersionRange } from './discover.js';
import { loadParser, parseStatements, type Statement } from './parse.js';
import { splitSections, type SectionTool, type Sections } from './sections.js';
import { rewriteForConcurrency } from '../analysis/concurrency.js';
import { LARGEST_KEPT_FILE, openParseCache } from '../parse-cache.js';
import { pauser } from '../pause.js';

export interface Migration extends DiscoveredMigration {
  path: string;
  /** The up migration's SQL: the whole file, or its up part (other lines blank) for a file with a tool's markers. */
  sql: string;
  /** The tool whose up/down markers the file uses (dbmate, goose, node-pg-migrate); undefined without markers. */
  sectionsOf?: SectionTool;
  /** The file holds its down migration itself (after its tool's down marker). */
  downInFile?: boolean;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  statements: Statement[];
  /** A view of a repeatable migration (R__), for the runner's messages: it has no version. */
  repeatable?: true;
}

export function sha256(text: string | Buffer): string {
  return hash('sha256', text, 'hex');
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
export function readSql(path: string): { bytes: Buffer; sql: string } {
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

/** A migration file as read, before its SQL is parsed: what status and the ledger need. */
export type MigrationFile = Omit<Migration, 'statements'> & { sections: Sections };

/**
 * Reads every up migration of a folder (those in `versions`, when given)
 * without parsing its SQL: names, checksums and each file's up/down parts.
 * `astra status` needs no more; what applies or analyses migrations uses
 * loadMigrations, which parses them too. It lets the event loop run every
 * few milliseconds (see pauser), for a connection opening meanwhile.
 */
export async function readMigrationFiles(folder: string, versions?: VersionRange): Promise<MigrationFile[]> {
  const pause = pauser();
  const files: MigrationFile[] = [];
  for (const migration of listMigrations(folder, versions)) {
    files.push(readMigrationFile(folder, migration));
    await pause();
  }
  refuseMixedSections(files, folder);
  return files;
}

function readMigrationFile(folder: string, migration: DiscoveredMigration): MigrationFile {
  const path = join(folder, migration.file);
  const { bytes, sql } = readSql(path);
  const sections = splitSections(sql, migration.file);
  if (sections.down !== undefined && migration.downFile) {
    throw inputError(`${migration.file} has a down part of its own and the file ${migration.downFile} too.`, 'Keep one of them; nothing was applied.');
  }
  return {
    ...migration,
    path,
    sql: sections.up,
    checksum: sha256(bytes),
    sections,
    ...(sections.tool ? { sectionsOf: sections.tool } : {}),
    ...(sections.down !== undefined ? { downInFile: true } : {}),
  };
}

/**
 * Reads and parses every up migration of a folder (those in `versions`, when
 * given). Any unreadable or unparseable file stops everything before the
 * database is touched.
 *
 * Files the CLI has parsed before come from its cache (src/parse-cache.ts). When
 * every file does, the SQL parser is not needed here. It is still loaded for
 * what the caller does next with the statements (`parser: 'loaded'`, the
 * default), unless the caller awaits loadParser() itself where it needs it
 * (`'unneeded'`).
 */
export async function loadMigrations(
  folder: string,
  versions?: VersionRange,
  options: { parser?: 'loaded' | 'unneeded'; /** The folder's files, read already (readMigrationFiles): not read again. */ files?: Promise<MigrationFile[]> } = {},
): Promise<Migration[]> {
  const cache = openParseCache(`migrations\n${resolve(folder)}\n${JSON.stringify(versions ?? null)}`);
  // When the parser will be needed for sure, it loads (its WebAssembly compiling on other threads) while the files are read.
  const early = options.parser !== 'unneeded' || !cache || cache.empty ? loadParser() : undefined;
  // A failure to load is met below, once the files have been read (their errors first).
  early?.catch(() => {});
  const files = await (options.files ?? readMigrationFiles(folder, versions));
  const cached = files.map((file) => cache?.read(file.checksum, (value): value is Statement[] => isStatementListOf(value, file.sections.up)));
  // Started early for a folder the cache knew nothing of, it is still not waited for when every file came from it after all.
  if (options.parser !== 'unneeded' || cached.some((statements) => statements === undefined)) await loadParser();
  const pause = pauser();
  const migrations: Migration[] = [];
  for (const [index, { sections, ...file }] of files.entries()) {
    const hit = cached[index];
    if (hit) {
      migrations.push({ ...file, statements: hit });
      continue;
    }
    const parsed = parseStatements(sections.up, file.file);
    // A file that asks for no transaction (dbmate transaction:false, goose NO TRANSACTION) runs statement by statement, as outside statements do.
    const noTransaction = sections.tool === 'dbmate' ? 'the up marker says transaction:false (dbmate)' : 'the file says NO TRANSACTION (goose)';
    const statements = sections.transaction ? parsed : parsed.map((statement) => ({ ...statement, outsideTransaction: statement.outsideTransaction ?? noTransaction }));
    // Index builds on existing tables run CONCURRENTLY, after the transactional statements, where possible.
    const planned = rewriteForConcurrency(statements);
    if (sections.up.length <= LARGEST_KEPT_FILE) cache?.write(file.checksum, planned);
    migrations.push({ ...file, statements: planned });
    await pause();
  }
  cache?.save();
  return migrations;
}

/**
 * A kept entry is statements of this SQL: their texts as written (for one
 * astra rewrote to run CONCURRENTLY, the text it runs is that and the word
 * CONCURRENTLY), found in the file in the order of their lines. One pass
 * over the file; an entry that does not read so is parsed again.
 */
function isStatementListOf(value: unknown, sql: string): boolean {
  if (!Array.isArray(value)) return false;
  const statements: Statement[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) return false;
    const statement = item as Partial<Record<keyof Statement, unknown>>;
    const wellFormed =
      typeof statement.index === 'number' &&
      typeof statement.text === 'string' &&
      typeof statement.line === 'number' &&
      typeof statement.kind === 'string' &&
      typeof statement.node === 'object' &&
      statement.node !== null &&
      (statement.outsideTransaction === undefined || typeof statement.outsideTransaction === 'string') &&
      (statement.writtenAs === undefined || (typeof statement.writtenAs === 'string' && withoutConcurrently(statement.text) === squeezed(statement.writtenAs)));
    if (!wellFormed) return false;
    statements.push(statement as Statement);
  }
  let from = 0;
  for (const statement of [...statements].sort((a, b) => a.line - b.line)) {
    const written = statement.writtenAs ?? statement.text;
    const at = sql.indexOf(written, from);
    if (at < 0) return false;
    from = at + written.length;
  }
  return true;
}

const squeezed = (text: string) => text.replace(/\s+/g, ' ').trim();
const withoutConcurrently = (text: string) => squeezed(text.replace(/\s+CONCURRENTLY\b/i, ''));

/**
 * A folder is written for one tool: files with one tool's up/down markers
 * beside files with another's, or without any, are a mix astra cannot read
 * for sure (a marker-less file in a dbmate folder may be a mistake that
 * would run its down part too).
 */
function refuseMixedSections(migrations: MigrationFile[], folder: string): void {
  const first = migrations[0];
  if (!first) return;
  const other = migrations.find((migration) => migration.sectionsOf !== first.sectionsOf);
  if (!other) return;
  const says = (migration: MigrationFile) => (migration.sectionsOf ? `uses ${migration.sectionsOf}'s up/down markers` : 'has no up/down markers');
  throw inputError(
    `The migrations folder ${folder} mixes conventions: ${first.file} ${says(first)}, ${other.file} ${says(other)}.`,
    'Write every file of the folder the same way; nothing was applied.',
  );
}

/** Reads and parses the down migration of `migration` (its .down.sql file, or the down part of its own file); an input error when it has none. */
export async function loadDownStatements(folder: string, migration: DiscoveredMigration): Promise<Statement[]> {
  await loadParser();
  if (!migration.downFile) {
    const sections = splitSections(readSql(join(folder, migration.file)).sql, migration.file);
    if (sections.down !== undefined) {
      const parsed = parseStatements(sections.down, migration.file);
      const noTransaction = sections.tool === 'dbmate' ? 'the down marker says transaction:false (dbmate)' : 'the file says NO TRANSACTION (goose)';
      return rewriteForConcurrency(
        sections.downTransaction ? parsed : parsed.map((statement) => ({ ...statement, outsideTransaction: statement.outsideTransaction ?? noTransaction })),
      );
    }
    throw inputError(
      `Migration ${migration.version} (${migration.file}) has no down migration, so it cannot be undone by astra migrate.`,
      'Write its .down.sql file, or restore the backup taken before it with astra rollback.',
    );
  }
  return rewriteForConcurrency(parseStatements(readSql(join(folder, migration.downFile)).sql, migration.downFile));
}

/** A repeatable migration (Flyway's `R__<description>.sql`), read and parsed. */
export interface Repeatable {
  /** The description: what identifies it in the ledger. */
  name: string;
  file: string;
  path: string;
  sql: string;
  checksum: string;
  statements: Statement[];
}

/** The repeatable migrations of a folder, read but not parsed (status needs only their checksums), in the order they run. */
export function readRepeatableFiles(folder: string): Omit<Repeatable, 'statements'>[] {
  return discoverRepeatables(readFolder(folder)).map(({ name, file }) => {
    const path = join(folder, file);
    const { bytes, sql } = readSql(path);
    return { name, file, path, sql, checksum: sha256(bytes) };
  });
}

/**
 * Reads and parses the repeatable migrations of a folder. Each runs whole in
 * one transaction, as written (no statement moved out of it): a statement
 * that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM) is
 * refused, since a repeatable migration has no version to resume at.
 */
export async function loadRepeatables(folder: string): Promise<Repeatable[]> {
  const files = readRepeatableFiles(folder);
  if (files.length === 0) return [];
  await loadParser();
  return files.map((file) => {
    const statements = parseStatements(file.sql, file.file);
    const outside = statements.find((statement) => statement.outsideTransaction);
    if (outside) {
      throw inputError(
        `The repeatable migration ${file.file} has a statement that cannot run in a transaction (line ${outside.line}: ${outside.outsideTransaction}); a repeatable migration runs whole in one.`,
        'Move that statement to a versioned migration (V<N>__…), where astra runs it outside the transaction and can resume after it.',
      );
    }
    return { ...file, statements };
  });
}
