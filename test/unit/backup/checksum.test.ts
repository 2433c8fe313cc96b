import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveDigest } from '../../../src/backup/checksum.js';

const dir = mkdtempSync(join(tmpdir(), 'astra-checksum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What coreutils' sha256sum says of a file: the digest an operator checks a backup with. */
async function sha256sum(path: string): Promise<string> {
  const { stdout } = await execa('sha256sum', [path]);
  return stdout.split(' ')[0]!;
}

describe('the digest of an archive, as its manifest records it', () => {
  it.each([
    ['empty', 0],
    ['smaller than one read', 1000],
    ['of several reads, the last one short', 9 * 1024 * 1024 + 17],
  ])('a custom-format archive %s: sha256sum of the file, and its size', async (_, size) => {
    const path = join(dir, `custom-${size}.dump`);
    writeFileSync(path, randomBytes(size));
    expect(await archiveDigest(path, 'custom')).toEqual({ sha256: await sha256sum(path), sizeBytes: size });
  });

  it('a directory-format archive: sha256 of "<sha256>  <name>" lines in name order, and the size of its files', async () => {
    const archive = join(dir, 'directory');
    mkdirSync(archive);
    const files = { 'toc.dat': randomBytes(3000), '3001.dat.gz': randomBytes(5 * 1024 * 1024), '3000.dat.gz': randomBytes(10) };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(archive, name), bytes);
    const lines = [];
    for (const name of Object.keys(files).sort()) lines.push(`${await sha256sum(join(archive, name))}  ${name}\n`);
    writeFileSync(join(dir, 'listing'), lines.join(''));
    expect(await archiveDigest(archive, 'directory')).toEqual({ sha256: await sha256sum(join(dir, 'listing')), sizeBytes: 3000 + 5 * 1024 * 1024 + 10 });
  });

  it('stops reading when its signal is aborted part-way', async () => {
    const path = join(dir, 'stopped.dump');
    writeFileSync(path, Buffer.alloc(64 * 1024 * 1024, 1));
    const stop = new AbortController();
    const reading = archiveDigest(path, 'custom', stop.signal);
    // Aborted once the file is open and being read: 16 reads of 4 MB are left to refuse.
    setImmediate(() => stop.abort(new Error('stopped')));
    await expect(reading).rejects.toThrow('stopped');
  });
});
