import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { astra, cleanEnv, repoRoot } from '../helpers/cli.js';

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

// The package without its CLI bundle: what `astra --version` alone needs is there, nothing else.
const stripped = mkdtempSync(join(tmpdir(), 'astra-no-bundle-'));
afterAll(() => rmSync(stripped, { recursive: true, force: true }));

describe('astra --version', () => {
  // Alone, the flag is answered before the argument parser loads; with other arguments the parser answers. Same line either way.
  it.each([['--version'], ['-V'], ['--json', '--version'], ['--version', '--debug']].map((args) => [args.join(' '), args] as const))(
    'astra %s prints the package version and exits 0',
    async (_shown, args) => {
      const result = await astra([...args]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe(version);
      expect(result.stderr).toBe('');
    },
  );

  it('alone, is answered without the bundle, which everything else needs', async () => {
    mkdirSync(join(stripped, 'bin'));
    for (const file of ['package.json', 'bin/astra.js', 'bin/package.json']) copyFileSync(join(repoRoot, file), join(stripped, file));
    const run = (...args: string[]) => execa('node', [join(stripped, 'bin', 'astra.js'), ...args], { env: cleanEnv(), extendEnv: false, reject: false });

    const alone = await run('--version');
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(alone.stdout).toBe(version);
    const withAnother = await run('--json', '--version');
    expect(withAnother.exitCode).not.toBe(0);
    expect(withAnother.stderr).toMatch(/Cannot find module .*dist[\\/]bundle/);
  });
});
