import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const astraBin = join(repoRoot, 'bin', 'astra.js');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

/** A new temporary folder holding `files` (name → content), e.g. a migrations folder. */
export function folderOf(files: Record<string, string>, prefix = 'astra-files-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The environment of a run: this one's, less anything that would pick a database, colour output or share a parse cache. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('PG') || key.startsWith('ASTRA_') || key === 'FORCE_COLOR') continue;
    env[key] = value;
  }
  // The parse cache of this test run (TMPDIR is the run's folder), not the home folder's: a run starts with none.
  return { ...env, NO_COLOR: '1', ASTRA_CACHE_DIR: join(tmpdir(), 'astra-cache'), ...extra };
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** A CLI run started by startAstra: a promise of its result, with its streams and kill(). */
export type RunningAstra = ResultPromise<{ reject: false; extendEnv: false; all: false }>;

/** Starts the built CLI as an operator would, without waiting for it. */
export function startAstra(args: string[], options: RunOptions = {}): RunningAstra {
  return execa('node', [astraBin, ...args], {
    reject: false,
    extendEnv: false,
    all: false,
    env: cleanEnv(options.env),
    cwd: options.cwd ?? repoRoot,
    stdin: 'ignore',
  } as { reject: false; extendEnv: false; all: false });
}

/** Runs the built CLI to the end. */
export async function astra(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const result = await startAstra(args, options);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * The CLI with what every command of a test file passes: the leading
 * arguments and the run options, read at each call (they are usually set in
 * beforeEach). `run` waits for the end; `start` does not, for a test that
 * watches or signals it.
 */
export function cliWith(shared: () => { args: string[] } & RunOptions): {
  run: (...args: string[]) => Promise<CliResult>;
  start: (...args: string[]) => RunningAstra;
} {
  const call = <T>(launch: (args: string[], options: RunOptions) => T, args: string[]): T => {
    const { args: leading, ...options } = shared();
    return launch([...leading, ...args], options);
  };
  return { run: (...args) => call(astra, args), start: (...args) => call(startAstra, args) };
}

/** A private copy of a fixture folder, for tests that change files. */
export function copyFixture(name: string): string {
  const target = mkdtempSync(join(tmpdir(), `astra-${name}-`));
  cpSync(join(fixturesDir, name), target, { recursive: true });
  return target;
}

/**
 * Resolves once the running CLI has written `text` to stderr, with what it
 * wrote so far. Rejects, quoting its stderr, when it ends first or when
 * `timeoutMs` passes.
 */
export function waitForStderr(child: RunningAstra, text: string, timeoutMs = 60_000): Promise<string> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gave up after ${timeoutMs / 1000} s waiting for "${text}" on stderr; it printed:\n${stderr}`)), timeoutMs);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(text)) settle(() => resolve(stderr));
    });
    child.then(
      () => settle(() => reject(new Error(`the command ended before printing "${text}" on stderr; it printed:\n${stderr}`))),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}
