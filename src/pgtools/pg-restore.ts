import { availableParallelism } from 'node:os';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
export async function listArchive(tool: string, archive: string, signal?: AbortSignal): Promise<ArchiveListing> {
  const result = await execa(tool, ['--list', archive], { reject: false, stdin: 'ignore', ...(signal ? { cancelSignal: signal } : {}) });
  if (result.exitCode === 0 && result.stdout.includes('; Archive created at')) return { ok: true, listing: result.stdout };
  return { ok: false, problem: problemsOf(result.stderr) || `pg_restore exited with code ${result.exitCode}` };
}

export interface RestoreRun {
  tool: string;
  /** Environment of the child: the connection, with the target database in PGDATABASE. */
  env: Record<string, string | undefined>;
  archive: string;
  jobs?: number;
  /** Connections the server, the database and the role still allow; bounds the default jobs. */
  freeConnections?: number;
  /** Leave ownership and grants out: for a scratch copy that only has to hold the data. */
  dataOnlyOwnership?: boolean;
  signal?: AbortSignal;
}

/** At most this many pg_restore jobs when none are asked for. */
export const MAX_DEFAULT_RESTORE_JOBS = 4;

/**
 * pg_restore's jobs when none are asked for: one per core of this machine,
 * at most 4, and no more than the connections the server, the database and
 * the role still allow (`freeConnections`, counted before the restore starts,
 * less one kept for astra's own checks). Each job is a server session
 * loading a table or building an index.
 */
export function defaultRestoreJobs(freeConnections = Number.POSITIVE_INFINITY): number {
  return Math.max(1, Math.min(MAX_DEFAULT_RESTORE_JOBS, availableParallelism(), freeConnections - 1));
}

/**
 * The sessions pg_restore opens commit without waiting for each commit to
 * reach the disk: the copy is checked and only then swapped in by a commit
 * of astra's own, made with synchronous_commit on, which waits for the WAL
 * up to it, so nothing of the copy is used before it is durable. Settings
 * the operator put in PGOPTIONS come after this, so theirs win.
 *
 * Index builds keep the server's maintenance_work_mem: measured here,
 * raising it made them slower, not faster (whole restores 12 to 22% slower
 * at 128MB per job than at the default 64MB; a single index build slower
 * still at 256MB and 1GB; bench/RESULTS.md): the larger sorts lose more to
 * the CPU's caches than the smaller ones spend on temporary files.
 */
export function restoreSessionOptions(given: string | undefined): string {
  return ['-c synchronous_commit=off', ...(given?.trim() ? [given.trim()] : [])].join(' ');
}

/**
 * Restores `archive` into the (empty) database named by PGDATABASE, stopping
 * at the first error. `--dbname=` is empty on purpose: libpq then takes the
 * database and everything else from the environment, so argv names nothing.
 */
export async function restoreArchive(run: RestoreRun): Promise<void> {
  const args = ['--dbname=', '--no-password', '--exit-on-error'];
  const jobs = run.jobs ?? defaultRestoreJobs(run.freeConnections);
  if (jobs > 1) args.push(`--jobs=${jobs}`);
  if (run.dataOnlyOwnership) args.push('--no-owner', '--no-privileges');
  args.push(run.archive);
  const result = await execa(run.tool, args, {
    env: { ...run.env, PGOPTIONS: restoreSessionOptions(run.env.PGOPTIONS ?? process.env.PGOPTIONS) },
    reject: false,
    stdin: 'ignore',
    ...(run.signal ? { cancelSignal: run.signal } : {}),
  });
  if (result.isCanceled) throw operationError('pg_restore was stopped before it finished.', 'Run the command again.');
  if (result.exitCode !== 0) {
    const crowded = /too many connections|remaining connection slots are reserved/i.test(result.stderr);
    throw operationError(
      `pg_restore failed: ${problemsOf(result.stderr)}`,
      crowded
        ? `The server ran out of connections for pg_restore's ${jobs} job(s): run the command again with --jobs 1, or when fewer sessions are open.`
        : 'Fix the cause above and run the command again.',
    );
  }
}

export interface InPlaceRestoreRun {
  pgRestore: string;
  psql: string;
  env: Record<string, string | undefined>;
  archive: string;
  /** SQL run first, in the same transaction: drops what the archive does not hold. */
  prelude: string;
  /** SQL run last, in the same transaction: raises to refuse the commit (e.g. a client got in). */
  finalCheck?: string;
  /** Aborting it cancels the restore (psql gets SIGINT, which cancels the running statement). */
  signal?: AbortSignal;
  /**
   * Ends psql's session from the server's side, for a psql that did not exit
   * within PSQL_CANCEL_GRACE_MS of its SIGINT; resolves to whether its
   * transaction was surely rolled back (the session was inside it, not
   * committing). psql itself is then killed.
   */
  endSession?: () => Promise<boolean>;
}

/**
 * How long psql has to exit after its SIGINT. psql cancels the running
 * statement and stops; but a SIGINT that lands while psql is inside the C
 * library's allocator can leave it waiting on a lock forever (seen with
 * psql 15), its session idle in the aborted transaction.
 */
const PSQL_CANCEL_GRACE_MS = 5_000;

/** How an in-place restore ended, as far as the database is concerned. */
export type InPlaceOutcome =
  | { state: 'committed' }
  /**
   * Nothing was sent to the database, or the transaction was rolled back:
   * `script`, pg_restore could not write the script; `apply`, the prelude or
   * the script failed; `final-check`, the whole script ran and the final
   * check refused the commit.
   */
  | { state: 'unchanged'; stage: 'script' | 'apply' | 'final-check'; problem: string; canceled: boolean }
  /** psql lost its connection or was killed: the COMMIT may or may not have happened. */
  | { state: 'unknown'; problem: string };

/** Printed by psql between the restore script and the final check: seen, the script ran to its end. */
const FINAL_CHECK_REACHED = 'astra: restore script applied, final check next';
const FINAL_CHECK_PASSED = 'astra: final check passed, committing';

/** What psql (libpq) prints when its first connection fails (PostgreSQL 14+ and older wordings). */
const NEVER_CONNECTED = /connection to server (at|on) .* failed|could not connect to server/;

/**
 * Watches a psql that was sent SIGINT: past the grace period, its session is
 * ended from the server's side and psql killed. `settle` resolves, once psql
 * has exited, to undefined when that was not needed, else to whether the
 * transaction was surely rolled back.
 */
function stuckAfterCancel(
  child: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null; signalCode: string | null },
  run: InPlaceRestoreRun,
): { settle(): Promise<boolean | undefined> } {
  let ending: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    timer = setTimeout(() => {
      // Exited meanwhile: its own exit says how it ended.
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A server that cannot be reached would hold the session's end too: psql is killed after a bound anyway.
      const bound = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PSQL_CANCEL_GRACE_MS).unref());
      ending = Promise.race([(run.endSession?.() ?? Promise.resolve(false)).catch(() => false), bound]).finally(() => child.kill('SIGKILL'));
    }, PSQL_CANCEL_GRACE_MS);
  };
  if (run.signal?.aborted) onAbort();
  else run.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    async settle() {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      return ending;
    },
  };
}

/** The exit status of psql run with --single-transaction and ON_ERROR_STOP, as a database state. */
export function psqlOutcome(exitCode: number | undefined, problem: string): InPlaceOutcome {
  // 0: the script ran and COMMIT succeeded. 3: an error stopped the script,
  // so COMMIT was never sent. 1: psql failed before it ran anything (it
  // could not read the file). 2 (connection lost) or a signal: unknown.
  if (exitCode === 0) return { state: 'committed' };
  if (exitCode === 3 || exitCode === 1) return { state: 'unchanged', stage: 'apply', problem, canceled: false };
  // 2 also when psql could not connect at all: then it sent nothing.
  if (exitCode === 2 && NEVER_CONNECTED.test(problem)) return { state: 'unchanged', stage: 'apply', problem, canceled: false };
  return { state: 'unknown', problem };
}

/**
 * Restores `archive` over the database named by PGDATABASE in ONE transaction.
 * pg_restore first writes the whole script to a 0600 file in a private 0700
 * folder, and only when it has exited 0 does psql run the prelude, the script
 * and the final check with --single-transaction and ON_ERROR_STOP: a
 * pg_restore that stops part-way never hands psql a truncated script that
 * psql would commit. The folder is removed afterwards, also on failure.
 */
export async function restoreInPlace(run: InPlaceRestoreRun): Promise<InPlaceOutcome> {
  const folder = await mkdtemp(join(tmpdir(), 'astra-restore-'));
  try {
    await chmod(folder, 0o700);
    const script = join(folder, 'restore.sql');
    await (await open(script, 'wx', 0o600)).close();
    const written = await execa(run.pgRestore, ['--clean', '--if-exists', `--file=${script}`, run.archive], {
      env: run.env,
      reject: false,
      stdin: 'ignore',
      ...(run.signal ? { cancelSignal: run.signal } : {}),
    });
    if (written.isCanceled || written.exitCode !== 0) {
      return {
        state: 'unchanged',
        stage: 'script',
        problem: written.isCanceled ? 'pg_restore was stopped' : problemsOf(written.stderr) || `pg_restore exited with code ${written.exitCode}`,
        canceled: written.isCanceled,
      };
    }
    if (run.signal?.aborted) return { state: 'unchanged', stage: 'script', problem: 'stopped before the restore started', canceled: true };
    // Query results (the script's setval and set_config rows) go nowhere; \echo still writes to stdout.
    const args = [
      '--no-psqlrc',
      '--quiet',
      '--no-password',
      '--output=/dev/null',
      '--single-transaction',
      '--set=ON_ERROR_STOP=1',
      `--command=${run.prelude}`,
      `--file=${script}`,
    ];
    // psql prints one marker once the script has run without error, right
    // before the final check, and another once the check has passed: a
    // failure between the two is the check's refusal, one after the second
    // is the COMMIT's.
    if (run.finalCheck) args.push(`--command=\\echo ${FINAL_CHECK_REACHED}`, `--command=${run.finalCheck}`, `--command=\\echo ${FINAL_CHECK_PASSED}`);
    const child = execa(run.psql, args, {
      env: run.env,
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      // SIGINT makes psql cancel the running statement: the transaction then
      // fails and is rolled back, rather than psql dying with COMMIT in flight.
      killSignal: 'SIGINT',
      forceKillAfterDelay: false,
      ...(run.signal ? { cancelSignal: run.signal } : {}),
    });
    const stuck = stuckAfterCancel(child, run);
    let applied: Awaited<typeof child>;
    let ended: boolean | undefined;
    try {
      applied = await child;
    } finally {
      ended = await stuck.settle();
    }
    if (ended !== undefined) {
      return ended
        ? {
            state: 'unchanged',
            stage: 'apply',
            problem: 'psql did not stop after its interrupt: its session was ended, inside the transaction',
            canceled: true,
          }
        : { state: 'unknown', problem: 'psql did not stop after its interrupt, and its session was ended' };
    }
    const outcome =
      applied.signal && applied.signal !== 'SIGINT'
        ? { state: 'unknown' as const, problem: `psql was killed by ${applied.signal}` }
        : psqlOutcome(applied.exitCode, problemsOf(applied.stderr, 'psql') || `psql exited with code ${applied.exitCode}`);
    if (outcome.state !== 'unchanged') return outcome;
    const printed = new Set(applied.stdout.split('\n').map((line) => line.trim()));
    const finalCheckRefused = run.finalCheck !== undefined && printed.has(FINAL_CHECK_REACHED) && !printed.has(FINAL_CHECK_PASSED);
    return { ...outcome, ...(finalCheckRefused ? { stage: 'final-check' as const } : {}), canceled: applied.isCanceled };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
