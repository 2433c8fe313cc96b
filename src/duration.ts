import { inputError } from './errors.js';
import { parseVersion, type MigrationVersion } from './migration-version.js';

/** Reads "500ms", "3s", "10m" or a bare number of milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw inputError(`${flag} "${text}" is not a duration.`, `Write it like 500ms, 3s or 10m.`);
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1;
  return Math.round(value * factor);
}

export function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw inputError(`${flag} "${text}" is not a whole number.`, `Give ${flag} a number such as 3.`);
  return Number(text);
}

export function parseVersionNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw inputError(`${what} "${text}" is not a migration version.`, 'Give the number of a migration, e.g. 12.');
  return Number(text);
}

/** A PostgreSQL migration version given on the command line: a whole number, or dotted (Flyway's 1.1). */
export function parseMigrationVersion(text: string, what: string): MigrationVersion {
  const version = parseVersion(text.trim());
  if (version === undefined)
    throw inputError(`${what} "${text}" is not a migration version.`, 'Give the version of a migration, e.g. 12 (or 1.1 in a Flyway folder).');
  return version;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
