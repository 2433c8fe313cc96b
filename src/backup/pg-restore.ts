import { execa } from 'execa';
import { operationError } from '../errors.js';

const PROBLEM = /^pg_restore: (error|detail|hint|warning): /;

function problemsOf(stderr: string, tool = 'pg_restore'): string {
  const lines = stderr
    .split('\n')
    .filter((line) => PROBLEM.test(line) || line.startsWith('ERROR:') || line.startsWith('psql:'))
    .map((line) => line.replace(new RegExp(`^${tool}: `), ''));
  return (lines.length > 0 ? lines : stderr.split('\n').filter(Boolean)).slice(-4).join(' ');
}

export type ArchiveListing = { ok: true; listing: string } | { ok: false; problem: string };

/** `pg_restore --list`: reads the archive's table of contents, which fails on a damaged header or TOC. */
export async function listArchive(tool: string, archive: string): Promise<ArchiveListing> {
  const result = await execa(tool, ['--list', archive], { reject: false, stdin: 'ignore' });
  if (result.exitCode === 0 && result.stdout.includes('; Archive created at')) return { ok: true, listing: result.stdout };
  return { ok: false, problem: problemsOf(result.stderr) || `pg_restore exited with code ${result.exitCode}` };
}

export interface RestoreRun {
  tool: string;
  /** Environment of the child: the connection, with the target database in PGDATABASE. */
  env: Record<string, string | undefined>;
  archive: string;
  jobs?: number;
  /** Leave ownership and grants out: for a scratch copy that only has to hold the data. */
  dataOnlyOwnership?: boolean;
  signal?: AbortSignal;
}

/**
 * Restores `archive` into the (empty) database named by PGDATABASE, stopping
 * at the first error. `--dbname=` is empty on purpose: libpq then takes the
 * database and everything else from the environment, so argv names nothing.
 */
export async function restoreArchive(run: RestoreRun): Promise<void> {
  const args = ['--dbname=', '--no-password', '--exit-on-error'];
  if (run.jobs !== undefined && run.jobs > 1) args.push(`--jobs=${run.jobs}`);
  if (run.dataOnlyOwnership) args.push('--no-owner', '--no-privileges');
  args.push(run.archive);
  const result = await execa(run.tool, args, {
    env: run.env,
    reject: false,
    stdin: 'ignore',
    ...(run.signal ? { cancelSignal: run.signal } : {}),
  });
  if (result.isCanceled) throw operationError('pg_restore was stopped before it finished.', 'Run the command again.');
  if (result.exitCode !== 0) throw operationError(`pg_restore failed: ${problemsOf(result.stderr)}`, 'Fix the cause above and run the command again.');
}

export interface InPlaceRestoreRun {
  pgRestore: string;
  psql: string;
  env: Record<string, string | undefined>;
  archive: string;
  /** SQL run first, in the same transaction: drops what the archive does not hold. */
  prelude: string;
}

/**
 * Restores `archive` over the database named by PGDATABASE in ONE transaction:
 * pg_restore writes the script (dropping and recreating every object it
 * holds), psql runs the prelude and the script with --single-transaction and
 * ON_ERROR_STOP, so any error leaves the database exactly as it was.
 */
export async function restoreInPlace(run: InPlaceRestoreRun): Promise<void> {
  const script = execa(run.pgRestore, ['--clean', '--if-exists', '--file=-', run.archive], { env: run.env, reject: false, stdin: 'ignore' });
  const apply = script.pipe(
    run.psql,
    ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', `--command=${run.prelude}`, '--file=-'],
    { env: run.env, reject: false, stdout: 'ignore' },
  );
  const [scriptResult, applyResult] = await Promise.all([script, apply]);
  if (scriptResult.exitCode !== 0) {
    throw operationError(`pg_restore could not read the archive: ${problemsOf(scriptResult.stderr)}`, 'Nothing was changed; check the backup with astra backup verify.');
  }
  if (applyResult.exitCode !== 0) {
    throw operationError(`The restore failed and was rolled back: ${problemsOf(applyResult.stderr, 'psql')}`, 'Nothing was changed; fix the cause above and run the rollback again.');
  }
}
