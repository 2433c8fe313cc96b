import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, trustedFolder } from './cache-root.js';

/**
 * What the CLI has read before and kept: parsed migrations (migrations/load.ts)
 * and release notes (release/notes.ts), so that a command reading a folder it
 * has read before neither loads the SQL parser (WebAssembly, about 90 ms with
 * its first parse) nor the YAML parser, nor parses the files again; and the
 * versions PostgreSQL's programs printed (cluster/binaries.ts), keyed by the
 * program file's identity, so that they are not started again to ask; and
 * doctor's model of the schema the applied migrations made
 * (doctor/checks/schema-drift.ts), keyed by every file's checksum and the
 * ledger, so that a doctor run after another reads no parse trees.
 *
 * One shelf per folder read (a JSON file of entries), in a folder per build of
 * astra: the sha256 of its CLI bundle (whose chunk names are hashes of their
 * content) and the version of the SQL parser. Another build reads nothing an
 * earlier one kept; a new build's first shelf removes the folders of builds
 * not written to for 30 days. An
 * entry is keyed by the sha256 of its file's content, so a changed file is
 * simply not found, and a shelf keeps only the entries of its folder's last
 * read. A file that does not parse is never kept, so its error is reported
 * every time; a file larger than 1 MB is not kept either (its tree would be
 * many times its size).
 *
 * Where: `ASTRA_CACHE_DIR`, else `$XDG_CACHE_HOME/astra`, else
 * `~/.cache/astra` (relative values are ignored, as the XDG rules say);
 * `ASTRA_CACHE_DIR=off` turns it off. A shelf holds the SQL of its
 * migrations: its folder is made readable by its owner only, and a build
 * folder that another user owns or others can write is not used. The cache
 * never fails a command: what cannot be read back, or does not hold what is
 * expected, is read from the files again; what cannot be written is not kept.
 *
 * It is the CLI's (it turns it on with useParseCache); a library user reads
 * every file afresh, unless its process also runs the CLI (astra serve).
 */
export interface ParseCache {
  /** Nothing is kept under this scope yet: every value will be computed afresh. */
  readonly empty: boolean;
  /** The value kept under `key`, if `isValid` accepts it. */
  read<T>(key: string, isValid: (value: unknown) => value is T): T | undefined;
  /** Keeps `value` under `key` (written by save()). */
  write(key: string, value: unknown): void;
  /** Writes the shelf when this read added to it or left entries unused; keeps the entries read or written. */
  save(): void;
}

/** The largest file whose parse is kept. */
export const LARGEST_KEPT_FILE = 1024 * 1024;
const UNUSED_BUILD_MS = 30 * 24 * 3600 * 1000;
const BUILD_FOLDER = /^parsed-[0-9a-f]{16}$/;

const requireHere = createRequire(import.meta.url);

/**
 * node:crypto, loaded when a shelf is first named rather than with the CLI:
 * it is 17 of Node's own modules that `astra --help` has no use for
 * (bench/RESULTS.md). Every command that connects loads it anyway.
 */
function crypto(): typeof import('node:crypto') {
  return requireHere('node:crypto') as typeof import('node:crypto');
}

let buildFile: string | undefined;
let buildFolder: string | null | undefined;

/** Turns the cache on for this process: `moduleUrl` is the running CLI's own module, whose content names the build. */
export function useParseCache(moduleUrl: string): void {
  buildFile = fileURLToPath(moduleUrl);
  buildFolder = undefined;
}

/** The shelf of `scope` (what was read: a folder, and how), or undefined when the cache is off. */
export function openParseCache(scope: string): ParseCache | undefined {
  const folder = currentBuildFolder();
  if (!folder) return undefined;
  const file = join(folder, `${crypto().createHash('sha256').update(scope).digest('hex').slice(0, 32)}.json`);
  const stored = readShelf(folder, file);
  const kept = new Map<string, unknown>();
  let added = false;
  return {
    empty: stored.size === 0,
    read(key, isValid) {
      const value = stored.get(key);
      if (value === undefined || !isValid(value)) return undefined;
      kept.set(key, value);
      return value;
    },
    write(key, value) {
      kept.set(key, value);
      added = true;
    },
    save() {
      if (!added && kept.size === stored.size) return;
      writeShelf(folder, file, kept);
    },
  };
}

/** The build's folder (computed once), or null when the cache is off or cannot name the build. */
function currentBuildFolder(): string | undefined {
  if (buildFolder !== undefined) return buildFolder ?? undefined;
  buildFolder = null;
  const root = buildFile ? cacheRoot() : undefined;
  if (!root || !buildFile) return undefined;
  try {
    const build = crypto().createHash('sha256').update(readFileSync(buildFile)).update(`\n${parserVersion()}`).digest('hex');
    buildFolder = join(root, `parsed-${build.slice(0, 16)}`);
  } catch {
    return undefined;
  }
  return buildFolder;
}

/** The version of libpg-query the build uses: its trees are what an entry holds. */
function parserVersion(): string {
  let dir = dirname(requireHere.resolve('libpg-query'));
  for (; dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      if (name === 'libpg-query') return String(version);
    }
  }
  throw new Error('libpg-query has no package.json');
}

function readShelf(folder: string, file: string): Map<string, unknown> {
  try {
    if (!trustedFolder(folder)) return new Map();
    const entries: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof entries === 'object' && entries !== null && !Array.isArray(entries)
      ? new Map<string, unknown>(Object.entries(entries))
      : new Map<string, unknown>();
  } catch {
    return new Map();
  }
}

function writeShelf(folder: string, file: string, entries: Map<string, unknown>): void {
  const partial = `${file}.${crypto().randomUUID()}.partial`;
  try {
    if (mkdirSync(folder, { recursive: true, mode: 0o700 }) !== undefined) removeUnusedBuilds(dirname(folder), folder);
    if (!trustedFolder(folder)) return;
    writeFileSync(partial, JSON.stringify(Object.fromEntries(entries)), { mode: 0o600, flag: 'wx' });
    renameSync(partial, file);
  } catch {
    // Not kept: the next run reads the files again.
    try {
      unlinkSync(partial);
    } catch {
      // There was none.
    }
  }
}

/** A new build's first shelf: the folders of builds not written to for 30 days go. */
function removeUnusedBuilds(root: string, keep: string): void {
  try {
    for (const name of readdirSync(root)) {
      const path = join(root, name);
      if (BUILD_FOLDER.test(name) && path !== keep && Date.now() - statSync(path).mtimeMs > UNUSED_BUILD_MS) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Left for another time.
  }
}
