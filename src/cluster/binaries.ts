import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';

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

/**
 * Folders that may hold PostgreSQL programs, in the order they are searched:
 * every PATH entry, `pg_config --bindir`, then Debian's
 * /usr/lib/postgresql/<N>/bin newest first.
 */
export async function candidateBinDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const entry of (process.env.PATH ?? '').split(delimiter)) if (entry) dirs.push(entry);
  try {
    const { stdout } = await execa('pg_config', ['--bindir']);
    if (stdout.trim()) dirs.push(stdout.trim());
  } catch {
    // pg_config is optional.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const majors = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => b - a);
    for (const major of majors) dirs.push(join(debianRoot, String(major), 'bin'));
  }
  return [...new Set(dirs)];
}

/** The version of `tool` in `dir`, or undefined when it is not there or does not run. */
export async function toolVersion(dir: string, tool: string): Promise<PgBinDir | undefined> {
  const path = join(dir, tool);
  if (!existsSync(path)) return undefined;
  try {
    const { stdout } = await execa(path, ['--version']);
    const parsed = parsePgToolVersion(stdout);
    return parsed ? { dir, ...parsed } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the newest folder that holds all of `tools`. Ties keep search order,
 * so PATH wins over Debian's folders of the same major. An explicit folder is
 * the only one looked at: whoever names it wants that version.
 */
export async function findPgBinDir(tools: string[], explicit?: string): Promise<PgBinDir | undefined> {
  let best: PgBinDir | undefined;
  for (const dir of explicit ? [explicit] : await candidateBinDirs()) {
    const found = await toolVersion(dir, tools[0] ?? 'postgres');
    if (!found) continue;
    if (!tools.every((tool) => existsSync(join(dir, tool)))) continue;
    if (!best || found.major > best.major) best = found;
  }
  return best;
}
