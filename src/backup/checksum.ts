import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BackupFormat } from './manifest.js';

export interface ArchiveDigest {
  sha256: string;
  sizeBytes: number;
}

async function fileSha256(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash, signal ? { signal } : {});
  return hash.digest('hex');
}

/**
 * The sha256 and size of an archive. A custom archive is one file: its own
 * sha256. A directory archive is the sha256 of the lines
 * `<sha256 of file>  <file name>` for its files in name order (what
 * `sha256sum * | sort -k2` prints), so a missing, added or changed file shows.
 * Aborting `signal` stops the reading (it rejects).
 */
export async function archiveDigest(path: string, format: BackupFormat, signal?: AbortSignal): Promise<ArchiveDigest> {
  if (format === 'custom') {
    return { sha256: await fileSha256(path, signal), sizeBytes: (await stat(path)).size };
  }
  const names = (await readdir(path)).sort();
  const listing = createHash('sha256');
  let sizeBytes = 0;
  for (const name of names) {
    const file = join(path, name);
    sizeBytes += (await stat(file)).size;
    listing.update(`${await fileSha256(file, signal)}  ${name}\n`);
  }
  return { sha256: listing.digest('hex'), sizeBytes };
}
