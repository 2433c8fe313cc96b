import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { astraBin, cleanEnv, folderOf, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let dir: string;
const COUNT = 400;
beforeEach(async () => {
  db = await createTestDatabase();
  const files: Record<string, string> = {};
  for (let i = 1; i <= COUNT; i++) files[`${String(i).padStart(4, '0')}_t${i}.sql`] = `CREATE TABLE t${i} (id int PRIMARY KEY);\n`;
  dir = folderOf(files, 'astra-closed-output-');
});
afterEach(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the CLI with both output pipes closed by their reader as soon as it
 * has written anything, as `astra … 2>&1 | head -1` does; resolves to its
 * exit code. (Node's own child process, whose pipe ends close when destroyed.)
 */
function withReaderGone(...args: string[]): Promise<number | null> {
  const child = spawn('node', [astraBin, '--migrations-dir', dir, ...args], {
    cwd: repoRoot,
    env: cleanEnv({ DATABASE_URL: db.url }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closeBoth = () => {
    child.stdout.destroy();
    child.stderr.destroy();
  };
  child.stdout.once('data', closeBoth);
  child.stderr.once('data', closeBoth);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

describe('output whose reader has gone', () => {
  it('does not stop migrate up: every migration is applied, and the exit code says so', async () => {
    expect(await withReaderGone('migrate', 'up')).toBe(0);
    expect(await ledgerVersions(db)).toHaveLength(COUNT);
  });

  it('ends status quietly, with exit code 0, when its stdout was closed before it wrote', async () => {
    const child = spawn('node', [astraBin, '--migrations-dir', dir, 'status'], {
      cwd: repoRoot,
      env: cleanEnv({ DATABASE_URL: db.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode));
    });
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
