import type { MigrationVersion } from '../migration-version.js';

/** 1536 → "1.5 KB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Versions as a person reads a long list: runs of consecutive numbers as
 * ranges, "1-300" rather than three hundred numbers; "1-3, 7, 9-10". Dotted
 * versions (Flyway's 1.1) stand alone: "1, 1.1, 2-4".
 */
export function versionList(versions: readonly MigrationVersion[]): string {
  const parts: string[] = [];
  for (let i = 0; i < versions.length;) {
    let j = i;
    for (;;) {
      const here = versions[j]!;
      const next = versions[j + 1];
      if (typeof here !== 'number' || typeof next !== 'number' || next !== here + 1) break;
      j++;
    }
    parts.push(j - i >= 2 ? `${versions[i]}-${versions[j]}` : versions.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return parts.join(', ');
}
