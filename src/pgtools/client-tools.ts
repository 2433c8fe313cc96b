import { join } from 'node:path';
import { candidateBinDirs, toolVersions, type PgBinDir } from '../cluster/binaries.js';
import { operationError } from '../errors.js';

export type ClientToolName = 'pg_dump' | 'pg_restore' | 'psql';

export interface ClientTool {
  name: ClientToolName;
  path: string;
  major: number;
  version: string;
}

/** The newest `tool` found (see findClientTool), whatever its version; undefined when there is none. */
export interface ClientToolSearch {
  tool: ClientToolName;
  /** Where it was looked for: --pg-bin-dir / ASTRA_PG_BIN_DIR when given, else undefined. */
  dir: string | undefined;
  best: PgBinDir | undefined;
}

/** Looks for the newest `tool`: in --pg-bin-dir / ASTRA_PG_BIN_DIR when given (and only there), else everywhere candidateBinDirs says. */
export async function searchClientTool(tool: ClientToolName, explicitDir?: string): Promise<ClientToolSearch> {
  const dir = explicitDir ?? process.env.ASTRA_PG_BIN_DIR;
  const candidates = dir ? [dir] : await candidateBinDirs();
  let best: PgBinDir | undefined;
  for (const found of await toolVersions(candidates, tool)) {
    if (found && (!best || found.major > best.major)) best = found;
  }
  return { tool, dir, best };
}

/** The tool a search found, when it can serve a PostgreSQL `serverMajor` server; else an error saying what to install. */
export function usableClientTool({ tool, dir, best }: ClientToolSearch, serverMajor: number): ClientTool {
  const install = `apt-get install postgresql-client-${serverMajor} (or the PostgreSQL ${serverMajor} client for your system)`;
  const where = dir ? `in ${dir}` : 'on PATH, by pg_config --bindir or under /usr/lib/postgresql/<N>/bin';
  if (!best) {
    throw operationError(
      `No ${tool} was found ${where}; astra needs ${tool} ${serverMajor} or newer for this PostgreSQL ${serverMajor} server.`,
      `Install it: ${install}${dir ? ', or fix --pg-bin-dir' : ', or give its folder with --pg-bin-dir'}.`,
    );
  }
  if (best.major < serverMajor) {
    throw operationError(
      `${tool} ${best.version} (${join(best.dir, tool)}) is older than the PostgreSQL ${serverMajor} server; astra needs ${tool} ${serverMajor} or newer.`,
      `Install it: ${install}, and give its folder with --pg-bin-dir if it is not on PATH.`,
    );
  }
  return { name: tool, path: join(best.dir, tool), major: best.major, version: best.version };
}

/**
 * Finds `tool` whose major version is at least the server's: in --pg-bin-dir /
 * ASTRA_PG_BIN_DIR when given (and only there), else on PATH, by
 * `pg_config --bindir`, or under /usr/lib/postgresql/<N>/bin, taking the
 * newest. pg_dump refuses servers newer than itself, so an older one is as
 * good as none.
 */
export async function findClientTool(tool: ClientToolName, serverMajor: number, explicitDir?: string): Promise<ClientTool> {
  return usableClientTool(await searchClientTool(tool, explicitDir), serverMajor);
}
