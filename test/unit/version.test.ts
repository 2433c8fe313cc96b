import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../src/version.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('findPackageRoot', () => {
  it("passes over an application's package.json and finds astra's above the bundle", () => {
    root = mkdtempSync(join(tmpdir(), 'astra-root-'));
    const astra = join(root, 'node_modules', 'astra');
    mkdirSync(join(astra, 'release-notes'), { recursive: true });
    mkdirSync(join(astra, 'dist', 'bundle'), { recursive: true });
    writeFileSync(join(astra, 'package.json'), JSON.stringify({ name: 'astra', version: '1.2.3' }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'shop', version: '9.9.9' }));
    expect(findPackageRoot(join(astra, 'dist', 'bundle'))).toBe(astra);

    // Bundled into the application's own build: no astra package above, so it says so rather than take the application's.
    const bundled = join(root, 'build');
    mkdirSync(join(root, 'release-notes'));
    mkdirSync(bundled);
    expect(() => findPackageRoot(bundled)).toThrow('astra cannot find its own package.json');
  });
});
