import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { astra, repoRoot } from '../helpers/cli.js';

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('astra --version', () => {
  // Alone, the flag is answered before the argument parser loads; with other arguments the parser answers. Same line either way.
  it.each([['--version'], ['-V'], ['--json', '--version'], ['--version', '--debug']])('astra %s prints the package version and exits 0', async (...args) => {
    const result = await astra(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(version);
    expect(result.stderr).toBe('');
  });
});
