import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const astraBin = join(repoRoot, 'bin', 'astra.js');

/**
 * Peak memory is read from GNU time (`/usr/bin/time -v`): "Maximum resident
 * set size" of the program it runs. For astra that is the largest of the node
 * process and the children it waited for (pg_dump, pg_restore), as Linux
 * reports it through wait4. Without /usr/bin/time, peak RSS is not measured.
 */
export const GNU_TIME = '/usr/bin/time';
export const peakRssAvailable = existsSync(GNU_TIME);

/** The environment of a child: this one's, less anything that would pick a database or colour output. */
export function childEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('PG') || key.startsWith('ASTRA_') || key === 'FORCE_COLOR') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function peakRssKbOf(timeReport) {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeReport);
  return match ? Number(match[1]) : undefined;
}

/**
 * Runs a program to the end and measures it: wall time on this process's
 * clock (start and end of the child) and peak RSS from GNU time.
 * Rejects, with the program's output, when it exits non-zero.
 */
export async function runMeasured(file, args, { env, cwd, onStart } = {}) {
  const reportDir = mkdtempSync(join(tmpdir(), 'astra-bench-time-'));
  const reportFile = join(reportDir, 'time.txt');
  const [program, programArgs] = peakRssAvailable ? [GNU_TIME, ['-v', '-o', reportFile, file, ...args]] : [file, args];
  try {
    const start = performance.now();
    const child = execa(program, programArgs, { env, extendEnv: false, cwd, reject: false, stdin: 'ignore' });
    onStart?.(start);
    const result = await child;
    const end = performance.now();
    if (result.exitCode !== 0) {
      throw new Error(`${[file, ...args].join(' ')} exited with ${result.exitCode ?? result.signal}:\n${result.stderr}\n${result.stdout}`);
    }
    const peakRssKb = peakRssAvailable && existsSync(reportFile) ? peakRssKbOf(readFileSync(reportFile, 'utf8')) : undefined;
    return { stdout: result.stdout, stderr: result.stderr, start, end, wallMs: end - start, peakRssKb };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

/**
 * Runs the built CLI as an operator would: the database URL (with its
 * password) in DATABASE_URL, never in the arguments; `--json` so that the
 * result can be read.
 */
export async function runAstra(args, { databaseUrl, cwd, onStart }) {
  const run = await runMeasured('node', [astraBin, '--json', ...args], { env: childEnv({ DATABASE_URL: databaseUrl }), cwd, onStart });
  let result;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw new Error(`astra ${args.join(' ')} did not print one JSON document on stdout:\n${run.stdout}`);
  }
  return { ...run, result };
}
