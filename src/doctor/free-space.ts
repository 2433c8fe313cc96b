import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Free bytes for an unprivileged writer where `folder` is, or would be created (its nearest existing parent). */
export async function freeSpaceFor(folder: string): Promise<{ bytes: number; measuredAt: string }> {
  let existing = folder;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const stats = await statfs(existing);
  return { bytes: Number(stats.bavail) * Number(stats.bsize), measuredAt: existing };
}
