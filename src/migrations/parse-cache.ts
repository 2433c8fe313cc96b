import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Statement } from './parse.js';
import { astraVersion } from '../version.js';

/**
 * Parsed migrations kept between runs, so that a command reading a folder it
 * has read before neither loads the SQL parser (about 90 ms of WebAssembly)
 * nor parses the files again; release notes likewise (no YAML parser). An entry is a file's statements as
 * loadMigrations returns them (parsed, and planned to run CONCURRENTLY where
 * they can), named by the sha256 of the file's bytes: a changed file is a
 * new entry, and a file that does not parse is never stored, so its error is
 * reported every time.
 *
 * Entries live under a folder named by astra's build (its version and the
 * time its CLI bundle was written): another build of astra reads nothing an
 * earlier one stored, and the first run of a new build removes the folders of
 * the others. The cache is the CLI's alone (it turns it on with
 * useParseCache); the library reads every file afresh.
 *
 * Where: `ASTRA_CACHE_DIR`, else `$XDG_CACHE_HOME/astra`, else
 * `~/.cache/astra`; `ASTRA_CACHE_DIR=off` turns it off. The folder is the
 * owner's only (0700, files 0600): an entry holds the SQL of its migration.
 * The cache never fails a command: an entry that cannot be read or does not
 * hold statements is parsed again, and one that cannot be written is not
 * kept.
 */
export interface ParseCache {
  /** The statements of a migration file whose bytes have this sha256. */
  get(checksum: string): Statement[] | undefined;
  set(checksum: string, statements: Statement[]): void;
  /** Any other value read from a file, under a key naming what it is and the file's content (release notes use it); undefined unless `isValid` accepts it. */
  read<T>(key: string, isValid: (value: unknown) => value is T): T | undefined;
  write(key: string, value: unknown): void;
}

let buildFile: string | undefined;

/** Turns the cache on for this process: `moduleUrl` is a file of the running build (the CLI passes its own), whose time stamp names the build. */
export function useParseCache(moduleUrl: string): void {
  buildFile = fileURLToPath(moduleUrl);
}

/** The cache's root folder, or undefined when it is off. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.ASTRA_CACHE_DIR;
  if (configured !== undefined && configured !== '') return configured === 'off' ? undefined : configured;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'astra');
}

/** The cache of this build, or undefined when it is off (the library, ASTRA_CACHE_DIR=off, or no build to name). */
export function openParseCache(): ParseCache | undefined {
  if (!buildFile) return undefined;
  const root = cacheRoot();
  if (!root) return undefined;
  let folder: string;
  try {
    const build = statSync(buildFile);
    folder = join(root, `parsed-${astraVersion}-${Math.round(build.mtimeMs)}-${build.size}`);
  } catch {
    return undefined;
  }
  let made = false;
  const read = <T>(key: string, isValid: (value: unknown) => value is T): T | undefined => {
    try {
      const entry: unknown = JSON.parse(readFileSync(join(folder, `${key}.json`), 'utf8'));
      return isValid(entry) ? entry : undefined;
    } catch {
      return undefined;
    }
  };
  const write = (key: string, value: unknown): void => {
    try {
      if (!made) {
        made = true;
        if (mkdirSync(folder, { recursive: true, mode: 0o700 }) !== undefined) removeOtherBuilds(root, folder);
      }
      const file = join(folder, `${key}.json`);
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, JSON.stringify(value), { mode: 0o600 });
      renameSync(partial, file);
    } catch {
      // Not kept: the next run reads the file again.
    }
  };
  return { get: (checksum) => read(checksum, isStatementList), set: write, read, write };
}

/** A new build's first entry: the folders of other builds are of no use any more. */
function removeOtherBuilds(root: string, keep: string): void {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.startsWith('parsed-') && path !== keep) rmSync(path, { recursive: true, force: true });
  }
}

function isStatementList(value: unknown): value is Statement[] {
  return (
    Array.isArray(value) &&
    value.every((item: unknown) => {
      if (typeof item !== 'object' || item === null) return false;
      const statement = item as Record<string, unknown>;
      return (
        typeof statement.index === 'number' &&
        typeof statement.text === 'string' &&
        typeof statement.line === 'number' &&
        typeof statement.kind === 'string' &&
        typeof statement.node === 'object' &&
        statement.node !== null &&
        (statement.outsideTransaction === undefined || typeof statement.outsideTransaction === 'string') &&
        (statement.writtenAs === undefined || typeof statement.writtenAs === 'string')
      );
    })
  );
}
