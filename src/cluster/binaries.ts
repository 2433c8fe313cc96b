import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openParseCache } from '../parse-cache.js';

/**
 * `--version` and `pg_config --bindir`: a few bytes back from programs that
 * exit at once. Node's own execFile does it without loading execa, which
 * costs doctor and status about 45 ms to load (bench/RESULTS.md); the
 * commands that run pg_dump and pg_restore for real use execa.
 */
const run = promisify(execFile);
const PROBE_TIMEOUT_MS = 10_000;

export interface PgBinDir {
  dir: string;
  /** Major version, e.g. 15. */
  major: number;
  /** Full version text as the tool printed it, e.g. "15.18". */
  version: string;
}

/** Parses "initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" into its version. */
export function parsePgToolVersion(output: string): { major: number; version: string } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!match?.[1]) return undefined;
  const major = Number(match[1]);
  const version = match[2] === undefined ? `${major}` : `${major}.${match[2]}`;
  return { major, version };
}

/** Debian and Ubuntu keep each major's programs in /usr/lib/postgresql/<N>/bin. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/**
 * Folders that may hold PostgreSQL programs, in the order they are searched:
 * every PATH entry, `pg_config --bindir`, then Debian's
 * /usr/lib/postgresql/<N>/bin newest first. Debian's own pg_config (a link
 * into /usr/lib/postgresql, or postgresql-common's script that runs one) is
 * not asked: it names one of those folders, searched anyway.
 */
export function candidateBinDirs(): Promise<string[]> {
  return shared('candidates', searchBinDirs);
}

/**
 * Concurrent callers asking the same question (doctor's checks look for
 * pg_dump and pg_restore at once) share one answer while it is being found;
 * nothing is kept after it settles, so a long-lived process (serve) sees
 * programs installed or upgraded since.
 */
const inFlight = new Map<string, Promise<unknown>>();
function shared<T>(key: string, work: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key) as Promise<T> | undefined;
  if (running) return running;
  const started = work().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

async function searchBinDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const entry of (process.env.PATH ?? '').split(delimiter)) if (entry) dirs.push(entry);
  const debian = existsSync(DEBIAN_ROOT);
  if (!isDebianPgConfig(dirs)) {
    try {
      const { stdout } = await run('pg_config', ['--bindir'], { timeout: PROBE_TIMEOUT_MS });
      if (stdout.trim()) dirs.push(stdout.trim());
    } catch {
      // pg_config is optional.
    }
  }
  if (debian) {
    const majors = readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => b - a);
    for (const major of majors) dirs.push(join(DEBIAN_ROOT, String(major), 'bin'));
  }
  return [...new Set(dirs)];
}

/**
 * The version of `tool` in `dir`, or undefined when it is not there or does
 * not run. With the CLI's cache on, a program asked before answers from it
 * while it is the same file: same device, inode, size, modification and
 * change times (an upgrade that replaces or rewrites it asks it again). Each
 * question costs a fork of this process and the program's start, about 15 ms
 * of doctor's and backup's time. Only the program itself is kept so: a
 * native executable whose real name is the tool's. A script or a version
 * manager's shim (asdf, mise, a Nix wrapper), which may run another version
 * from one folder to the next, is asked every time.
 */
export function toolVersion(dir: string, tool: string): Promise<PgBinDir | undefined> {
  const path = join(dir, tool);
  return shared(`version ${path}`, async () => {
    if (!existsSync(path) || isDebianWrapper(path)) return undefined;
    const program = keptProgram(path, tool);
    const cache = program ? openParseCache(`tool version\n${program.realPath}`) : undefined;
    const kept = program ? cache?.read(program.identity, isToolVersion) : undefined;
    if (kept) return { dir, ...kept };
    try {
      const { stdout } = await run(path, ['--version'], { timeout: PROBE_TIMEOUT_MS });
      const parsed = parsePgToolVersion(stdout);
      if (parsed && program && cache) {
        cache.write(program.identity, parsed);
        cache.save();
      }
      return parsed ? { dir, ...parsed } : undefined;
    } catch {
      return undefined;
    }
  });
}

/** The first bytes of ELF (Linux) and Mach-O (macOS: 32 and 64 bits, either order, and universal) executables. */
const NATIVE_MAGIC = ['7f454c46', 'feedface', 'feedfacf', 'cefaedfe', 'cffaedfe', 'cafebabe'];

/**
 * `path`'s real file and what tells it from another and from its earlier
 * self, when its answer may be kept: a native executable named `tool`.
 */
function keptProgram(path: string, tool: string): { realPath: string; identity: string } | undefined {
  try {
    const realPath = realpathSync(path);
    if (basename(realPath) !== tool) return undefined;
    const head = Buffer.alloc(4);
    const fd = openSync(realPath, 'r');
    try {
      if (readSync(fd, head, 0, 4, 0) < 4) return undefined;
    } finally {
      closeSync(fd);
    }
    if (!NATIVE_MAGIC.includes(head.toString('hex'))) return undefined;
    const stats = statSync(realPath, { bigint: true });
    return { realPath, identity: [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].join(':') };
  } catch {
    return undefined;
  }
}

function isToolVersion(value: unknown): value is { major: number; version: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { major, version } = value as { major?: unknown; version?: unknown };
  return typeof major === 'number' && Number.isInteger(major) && typeof version === 'string' && parsePgToolVersion(`(PostgreSQL) ${version}`)?.major === major;
}

/** Whether the pg_config found first on PATH is Debian's, which only ever names a /usr/lib/postgresql/<N>/bin folder. */
function isDebianPgConfig(pathDirs: string[]): boolean {
  const found = pathDirs.map((dir) => join(dir, 'pg_config')).find((path) => existsSync(path));
  if (!found) return false;
  try {
    const real = realpathSync(found);
    if (real.startsWith(`${DEBIAN_ROOT}/`) || real.startsWith('/usr/share/postgresql-common/')) return true;
    const head = readFileSync(real).subarray(0, 4096).toString('latin1');
    return head.startsWith('#!') && head.includes(DEBIAN_ROOT);
  } catch {
    return false;
  }
}

/**
 * Debian's /usr/bin/pg_dump (and the others) is postgresql-common's
 * pg_wrapper, which runs one of the /usr/lib/postgresql/<N>/bin programs,
 * chosen by rules of its own. astra searches those folders itself and runs
 * the program it chose, so the wrapper is passed over (one Perl start-up
 * fewer per program looked for).
 */
function isDebianWrapper(path: string): boolean {
  try {
    return realpathSync(path).endsWith('/postgresql-common/pg_wrapper') && existsSync(DEBIAN_ROOT);
  } catch {
    return false;
  }
}

/** The version of `tool` in each of `dirs`, asked of all at once. */
export function toolVersions(dirs: string[], tool: string): Promise<(PgBinDir | undefined)[]> {
  return Promise.all(dirs.map((dir) => toolVersion(dir, tool)));
}

/**
 * Finds the newest folder that holds all of `tools`. Ties keep search order,
 * so PATH wins over Debian's folders of the same major. An explicit folder is
 * the only one looked at: whoever names it wants that version.
 */
export async function findPgBinDir(tools: string[], explicit?: string): Promise<PgBinDir | undefined> {
  let best: PgBinDir | undefined;
  for (const found of await toolVersions(explicit ? [explicit] : await candidateBinDirs(), tools[0] ?? 'postgres')) {
    if (!found) continue;
    if (!tools.every((tool) => existsSync(join(found.dir, tool)))) continue;
    if (!best || found.major > best.major) best = found;
  }
  return best;
}
