import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const astraBin = join(repoRoot, 'bin', 'astra.js');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The environment of a run: this one's, less anything that would pick a database or colour output. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('PG') || key.startsWith('ASTRA_') || key === 'FORCE_COLOR') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Starts the built CLI as an operator would, without waiting for it. */
export function startAstra(args: string[], options: RunOptions = {}): ResultPromise<{ reject: false; extendEnv: false; all: false }> {
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

/** A private copy of a fixture folder, for tests that change files. */
export function copyFixture(name: string): string {
  const target = mkdtempSync(join(tmpdir(), `astra-${name}-`));
  cpSync(join(fixturesDir, name), target, { recursive: true });
  return target;
}

/** Resolves once the running CLI has written `text` to stderr, or has ended; returns what it wrote so far. */
export function stderrUntil(child: ReturnType<typeof startAstra>, text: string): Promise<string> {
  let stderr = '';
  return new Promise((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(text)) resolve(stderr);
    });
    void child.then(() => resolve(stderr));
  });
}
