import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { astra, astraBin, cleanEnv, fixturesDir, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, type TestDatabase } from '../helpers/database.js';

/**
 * The confirmation an operator answers on a terminal. util-linux `script`
 * gives the CLI a real pseudo-terminal; what is written to script's stdin is
 * typed on it.
 */

let db: TestDatabase;
let backupDir: string;
beforeEach(async () => {
  db = await createTestDatabase();
  backupDir = mkdtempSync(join(tmpdir(), 'astra-prompt-backups-'));
});
afterEach(async () => {
  await db.drop();
  rmSync(backupDir, { recursive: true, force: true });
});

/** util-linux `script`, which every Debian system has (bsdutils); elsewhere the test is skipped, saying why. */
const hasScript = ['/usr/bin/script', '/bin/script'].some((path) => existsSync(path));

const app = join(fixturesDir, 'upgrade-app');
const bundleArgs = () => ['--migrations-dir', join(app, 'migrations'), '--release-notes-dir', join(app, 'release-notes'), '--backup-dir', backupDir];

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs `astra upgrade` on a terminal, types `answer` once `question` shows, and returns what the terminal showed. */
async function upgradeOnTerminal(question: string, answer: string): Promise<{ exitCode: number; screen: string }> {
  const command = ['node', astraBin, ...bundleArgs(), 'upgrade'].map(shellQuote).join(' ');
  const child = execa('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    reject: false,
    extendEnv: false,
    env: cleanEnv({ DATABASE_URL: db.url, TERM: 'dumb' }),
    cwd: repoRoot,
    stdin: 'pipe',
    timeout: 60_000,
  });
  let screen = '';
  let answered = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    if (!answered && screen.includes(question)) {
      answered = true;
      child.stdin?.write(`${answer}\r`);
    }
  });
  const result = await child;
  return { exitCode: result.exitCode ?? -1, screen };
}

describe.runIf(hasScript)('astra upgrade on a terminal', () => {
  it('asks before a breaking release: "n" changes nothing, "y" applies it', async () => {
    expect((await astra([...bundleArgs(), 'upgrade', '--to', '1.1.0', '--yes'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
    const backupsBefore = readdirSync(backupDir);
    const question = 'Apply 1 breaking migration(s)? The application must be stopped. Continue';

    const declined = await upgradeOnTerminal(question, 'n');
    expect(declined.screen).toContain(question);
    expect(declined.screen).toContain('Upgrade cancelled; nothing was changed.');
    expect(declined.exitCode).toBe(1);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4]);
    expect(readdirSync(backupDir)).toEqual(backupsBefore);

    const accepted = await upgradeOnTerminal(question, 'y');
    expect(accepted.exitCode, accepted.screen).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2, 3, 4, 5]);
    expect(readdirSync(backupDir).length).toBeGreaterThan(backupsBefore.length);
  });
});

describe.skipIf(hasScript)('astra upgrade on a terminal', () => {
  it.skip('needs util-linux script to give the CLI a pseudo-terminal (apt-get install bsdutils)', () => {});
});
