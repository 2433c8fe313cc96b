import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useCompileCache } from '../../src/compile-cache.js';

const made: string[] = [];
const temporary = () => {
  const dir = mkdtempSync(join(tmpdir(), 'astra-compiled-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Node's enableCompileCache as Node 22 has it, recording the folder it was given. */
function recording() {
  const given: string[] = [];
  return { given, enable: (dir: string) => given.push(dir) };
}

describe('useCompileCache', () => {
  it("gives Node a folder of astra's cache that only its owner can read or write", () => {
    const root = temporary();
    const node = recording();
    expect(useCompileCache({ ASTRA_CACHE_DIR: root }, node.enable)).toBe(join(root, 'compiled'));
    expect(node.given).toEqual([join(root, 'compiled')]);
    expect(statSync(join(root, 'compiled')).mode & 0o777).toBe(0o700);
  });

  it("does nothing on a Node without the cache, with ASTRA_CACHE_DIR=off, or when NODE_COMPILE_CACHE is the user's own choice", () => {
    const node = recording();
    expect(useCompileCache({ ASTRA_CACHE_DIR: temporary() }, undefined)).toBeUndefined();
    expect(useCompileCache({ ASTRA_CACHE_DIR: 'off' }, node.enable)).toBeUndefined();
    expect(useCompileCache({ ASTRA_CACHE_DIR: temporary(), NODE_COMPILE_CACHE: '/elsewhere' }, node.enable)).toBeUndefined();
    expect(node.given).toEqual([]);
  });

  it('uses no folder that others can write, nor a link, nor one it cannot make, and fails nothing', () => {
    const root = temporary();
    mkdirSync(join(root, 'compiled'));
    chmodSync(join(root, 'compiled'), 0o777);
    const node = recording();
    expect(useCompileCache({ ASTRA_CACHE_DIR: root }, node.enable)).toBeUndefined();
    const linked = temporary();
    mkdirSync(join(linked, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(linked, 'elsewhere'), join(linked, 'compiled'));
    expect(useCompileCache({ ASTRA_CACHE_DIR: linked }, node.enable)).toBeUndefined();
    const file = join(temporary(), 'a-file');
    writeFileSync(file, '');
    expect(useCompileCache({ ASTRA_CACHE_DIR: file }, node.enable)).toBeUndefined();
    expect(node.given).toEqual([]);
  });
});
