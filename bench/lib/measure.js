import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
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

/** The machine's CPU time so far, from the first line of /proc/stat (in clock ticks): busy and all; undefined where there is none. */
function cpuTimes() {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, all: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return undefined;
  }
}

/**
 * How many of the machine's cores were busy, on average, since `before`:
 * the program and everything it set to work (a database server's backends,
 * its WAL writer, the kernel's writes), and whatever else ran meanwhile.
 */
function busyCoresSince(before) {
  const after = cpuTimes();
  if (!before || !after || after.all <= before.all) return undefined;
  return ((after.busy - before.busy) / (after.all - before.all)) * cpus().length;
}

/**
 * Runs a program to the end and measures it: wall time on this process's
 * clock (start and end of the child), peak RSS from GNU time, and the
 * machine's busy cores over the run (Linux).
 * Rejects, with the program's output, when it exits non-zero.
 */
export async function runMeasured(file, args, { env, cwd, onStart } = {}) {
  const cpuBefore = cpuTimes();
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
    return { stdout: result.stdout, stderr: result.stderr, start, end, wallMs: end - start, peakRssKb, busyCores: busyCoresSince(cpuBefore) };
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
