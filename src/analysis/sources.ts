import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { inputError } from '../errors.js';
import { loadMigrations, type VersionRange } from '../migrations/load.js';
import { loadParser, parseStatements } from '../migrations/parse.js';
import type { MigrationSource } from './analyze.js';

export interface LintSources {
  /** In the order given; a folder's migrations in version order. */
  sources: MigrationSource[];
  /** The folders given (absolute), each linted as a whole. */
  folders: string[];
}

/** How a file is named in findings: relative to the working directory when below it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const relativePath = relative(cwd, path);
  return relativePath && !relativePath.startsWith('..') && !isAbsolute(relativePath) ? relativePath : path;
}

/**
 * Reads what `astra lint` was given: a folder is a migrations folder (its up
 * migrations, in version order, named as the runner names them); a file is
 * one migration, whatever its name. Unreadable paths and SQL that does not
 * parse are input errors, as they are for the runner. With `range`, that
 * folder is read for those versions only.
 */
export async function readLintSources(
  paths: string[],
  cwd = process.cwd(),
  range?: { folder: string; versions: VersionRange | undefined },
): Promise<LintSources> {
  await loadParser();
  const result: LintSources = { sources: [], folders: [] };
  for (const given of paths) {
    const path = resolve(cwd, given);
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      throw inputError(`${given} cannot be read: ${(error as Error).message}.`, 'Give migration files or folders that exist.', error);
    }
    if (isFolder) {
      result.folders.push(path);
      // A project's database with a range of a shared folder: its part of the folder only.
      for (const migration of await loadMigrations(path, range?.folder === path ? range.versions : undefined)) {
        result.sources.push({ file: displayPath(migration.path, cwd), path: migration.path, sql: migration.sql, statements: migration.statements });
      }
      continue;
    }
    let sql: string;
    try {
      sql = readFileSync(path, 'utf8');
    } catch (error) {
      throw inputError(`${given} cannot be read: ${(error as Error).message}.`, 'Check its permissions.', error);
    }
    result.sources.push({ file: displayPath(path, cwd), path, sql, statements: parseStatements(sql, displayPath(path, cwd)) });
  }
  return result;
}

/** The sources that live directly in `folder` (a migrations folder paired with release notes). */
export function inFolder(source: { path?: string }, folder: string): boolean {
  return source.path !== undefined && dirname(source.path) === folder;
}
