import { execa } from 'execa';
import { operationError } from '../errors.js';

const DUMPING_TABLE = /^pg_dump: dumping contents of table "(.+)"$/;
const PROBLEM = /^pg_dump: (error|detail|hint|warning): /;

/** `pg_dump: dumping contents of table "public.users"` (a --verbose line) → `public.users`. */
export function dumpedTableOf(line: string): string | undefined {
  return DUMPING_TABLE.exec(line.trimEnd())?.[1];
}

/** pg_dump's archive formats astra writes: one file (`custom`) or a folder of files (`directory`, which allows parallel jobs). */
export type DumpFormat = 'custom' | 'directory';

export interface PgDumpRun {
  /** Path of pg_dump. */
  tool: string;
  env: Record<string, string | undefined>;
  format: DumpFormat;
  /** The file (custom) or folder (directory) to write. */
  path: string;
  /** Parallel dump jobs (directory format only). */
  jobs?: number;
  /** An exported snapshot to dump, so that the row counts taken in it agree with the archive. */
  snapshot?: string;
  onTable?: (table: string) => void;
  signal?: AbortSignal;
}

/**
 * The compression of astra's archives: gzip at level 1. pg_dump's default
 * (level 6) spends most of a dump's time compressing; level 1 takes a
 * fraction of that time for an archive a few percent larger (bench/RESULTS.md),
 * and every pg_restore reads it. The backup runs before every upgrade, while
 * the operator waits.
 */
export const DUMP_COMPRESSION = '--compress=1';

/** The arguments of a pg_dump run: only the output, format, compression and snapshot; the connection is in the environment. */
export function pgDumpArguments(run: Pick<PgDumpRun, 'format' | 'path' | 'jobs' | 'snapshot'>): string[] {
  const args = [`--format=${run.format}`, `--file=${run.path}`, DUMP_COMPRESSION, '--verbose', '--no-password'];
  if (run.jobs !== undefined && run.format === 'directory') args.push(`--jobs=${run.jobs}`);
  if (run.snapshot) args.push(`--snapshot=${run.snapshot}`);
  return args;
}

/** Runs pg_dump to the end; an operation error with pg_dump's own message when it fails. */
export async function runPgDump(run: PgDumpRun): Promise<void> {
  const child = execa(run.tool, pgDumpArguments(run), {
    env: run.env,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    reject: false,
    buffer: false,
    ...(run.signal ? { cancelSignal: run.signal } : {}),
  });
  const problems: string[] = [];
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const table = dumpedTableOf(line);
      if (table !== undefined) run.onTable?.(table);
      else if (PROBLEM.test(line)) problems.push(line.replace(/^pg_dump: /, ''));
    }
  });
  const result = await child;
  if (pending && PROBLEM.test(pending)) problems.push(pending.replace(/^pg_dump: /, ''));
  if (result.isCanceled) throw operationError('pg_dump was stopped before it finished.', 'Run the backup again.');
  if (result.exitCode !== 0) {
    const detail = problems.length > 0 ? problems.slice(-4).join(' ') : `exit code ${result.exitCode ?? result.signal ?? 'unknown'}`;
    throw operationError(`pg_dump failed: ${detail}`, 'Fix the cause above and run the backup again; no backup was recorded.');
  }
}
