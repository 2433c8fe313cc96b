import { inputError } from '../errors.js';
import { byCodeUnit } from '../order.js';
import { byVersion, compareVersions, isWholeVersion, parseVersion, type MigrationVersion } from '../migration-version.js';

/** The naming schemes of the seeds, told apart so that `create` can follow a folder's own. */
export type NamingStyle =
  /** `001-core-tables.sql` (Open Astra) */
  | 'dash'
  /** `000001_create_users.up.sql` with optional `.down.sql` (golang-migrate) */
  | 'updown'
  /** `1001_control_oauth_signup.sql` (AtlasAI), also dbmate, goose and node-pg-migrate with their timestamps */
  | 'plain'
  /** `000001.sql`, `42.sql`: the version alone */
  | 'number'
  /** `V1__create_users.sql`, with `U1__create_users.sql` undoing it (Flyway) */
  | 'flyway';

export interface MigrationFileName {
  file: string;
  version: MigrationVersion;
  /** The digits as written, to keep their zero padding. */
  digits: string;
  name: string;
  direction: 'up' | 'down';
  style: NamingStyle;
}

export interface DiscoveredMigration {
  version: MigrationVersion;
  name: string;
  /** File name (not path) of the up migration. */
  file: string;
  /** File name of the down migration, when there is one. */
  downFile?: string;
  style: NamingStyle;
  digits: string;
}

const FILE_PATTERN = /^(\d+)(?:([-_])([A-Za-z0-9][\w.-]*?))?(\.(up|down))?\.sql$/;

/** Flyway: V (versioned) or U (undo), the version (parts joined by . or _), two underscores, the description. */
const FLYWAY_PATTERN = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;

/** Reads a migration file name, or returns undefined when it follows none of the schemes. */
export function parseMigrationFileName(file: string): MigrationFileName | undefined {
  const flyway = FLYWAY_PATTERN.exec(file);
  if (flyway) {
    const [, prefix, digits = '', description = ''] = flyway;
    const version = parseVersion(digits);
    if (version === undefined) return undefined;
    return { file, version, digits, name: description, direction: prefix === 'U' ? 'down' : 'up', style: 'flyway' };
  }
  const match = FILE_PATTERN.exec(file);
  if (!match) return undefined;
  const [, digits = '', separator, name = '', , direction] = match;
  const version = Number(digits);
  if (!Number.isSafeInteger(version)) return undefined;
  const style: NamingStyle = direction ? 'updown' : separator === undefined ? 'number' : separator === '-' ? 'dash' : 'plain';
  return { file, version, digits, name, direction: direction === 'down' ? 'down' : 'up', style };
}

/** A range of migration versions: the part of a shared folder that belongs to one database of a project. */
export interface VersionRange {
  from: number;
  to: number;
}

export function inRange(version: MigrationVersion, versions: VersionRange | undefined): boolean {
  return versions === undefined || (compareVersions(version, versions.from) >= 0 && compareVersions(version, versions.to) <= 0);
}

/** A Flyway repeatable migration, `R__<description>.sql`: no version; run after the versioned ones, again whenever it changes. */
export interface DiscoveredRepeatable {
  /** The description, which identifies it (Flyway's own key for it too). */
  name: string;
  file: string;
}

const REPEATABLE_PATTERN = /^R__(.+)\.sql$/;

/** The repeatable migrations of a folder, in the order they run: by description, as Flyway orders them. */
export function discoverRepeatables(fileNames: string[]): DiscoveredRepeatable[] {
  return fileNames
    .flatMap((file) => {
      const match = REPEATABLE_PATTERN.exec(file);
      return match ? [{ name: match[1]!, file }] : [];
    })
    .sort((a, b) => {
      // Flyway orders them by description, which is the name with underscores read as spaces.
      const [x, y] = [a.name.replace(/_/g, ' '), b.name.replace(/_/g, ' ')];
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

/**
 * Turns the file names of a migrations folder into migrations sorted by version
 * (9 before 10). Files that do not end in `.sql` are ignored; a `.sql` file that
 * follows no naming scheme, two files with one version, and a `.down.sql` with
 * no `.up.sql` are input errors, all reported together.
 */
export function discoverMigrations(fileNames: string[], folder: string): DiscoveredMigration[] {
  const problems: string[] = [];
  const ups = new Map<MigrationVersion, MigrationFileName>();
  const downs = new Map<MigrationVersion, MigrationFileName>();
  const repeatables = discoverRepeatables(fileNames);
  for (const file of [...fileNames].sort()) {
    if (!file.endsWith('.sql') || REPEATABLE_PATTERN.test(file)) continue;
    const parsed = parseMigrationFileName(file);
    const digits = /^(\d+)(?:[-_.])/.exec(file)?.[1];
    if (!parsed && digits && !Number.isSafeInteger(Number(digits))) {
      problems.push(`${file}: the version ${digits} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
      continue;
    }
    if (!parsed) {
      problems.push(unreadableName(file));
      continue;
    }
    const byDirection = parsed.direction === 'up' ? ups : downs;
    const existing = byDirection.get(parsed.version);
    if (existing) {
      problems.push(`${existing.file} and ${file} both have version ${parsed.version}`);
      continue;
    }
    byDirection.set(parsed.version, parsed);
  }
  for (const [version, down] of downs) {
    if (!ups.has(version)) problems.push(`${down.file}: a down migration without its up migration (no ${version} ${down.style === 'flyway' ? 'V' : '.up.sql'} file)`);
  }
  const mixed = mixedConventions([...ups.values(), ...downs.values()]);
  if (mixed) problems.push(mixed);
  const notFlyway = [...ups.values()].find((file) => file.style !== 'flyway');
  if (repeatables.length > 0 && notFlyway) {
    problems.push(`${repeatables[0]!.file} is a Flyway repeatable migration, and ${notFlyway.file} follows another naming convention (one folder, one convention)`);
  }
  if (problems.length > 0) {
    throw inputError(
      `The migrations folder ${folder} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}: ${problems.join('; ')}.`,
      'Rename or remove the files named; nothing was applied.',
    );
  }
  return [...ups.values()]
    .sort(byVersion)
    .map((up) => {
      const down = downs.get(up.version);
      return { version: up.version, name: up.name, file: up.file, style: up.style, digits: up.digits, ...(down ? { downFile: down.file } : {}) };
    });
}

/** Why a .sql file is not a migration astra can read, with the schemes it reads. */
function unreadableName(file: string): string {
  const flyway = FLYWAY_PATTERN.exec(file);
  if (flyway) return `${file}: the version ${flyway[2]} has a part too long (the first at most ${Number.MAX_SAFE_INTEGER}, the others at most 20 digits)`;
  return `${file}: the name follows no migration naming scheme (NNN-name.sql, NNNNNN_name.up.sql, NNNN_name.sql, NNN.sql, V<N>__name.sql)`;
}

/** Conventions that may share a folder: a name that is only a number goes with `NNN_name.sql`. */
const CONVENTION: Record<NamingStyle, string> = { dash: 'dash', plain: 'plain', number: 'plain', updown: 'updown', flyway: 'flyway' };

/** A folder is written in one tool's naming convention; two files that disagree are named. */
function mixedConventions(files: MigrationFileName[]): string | undefined {
  const sorted = [...files].sort((a, b) => compareVersions(a.version, b.version) || byCodeUnit(a.file, b.file));
  const first = sorted[0];
  const other = first && sorted.find((file) => CONVENTION[file.style] !== CONVENTION[first.style]);
  return other ? `${first.file} and ${other.file} follow different naming conventions (one folder, one convention)` : undefined;
}

/** dbmate, goose and node-pg-migrate number files by the time they were written: YYYYMMDDhhmmss. */
function isTimestamp(digits: string): boolean {
  return /^20\d{12}$/.test(digits);
}

/** Now as YYYYMMDDhhmmss (UTC), or one past the last version when that is later. */
function nextTimestamp(last: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return String(Math.max(Number(stamp), last + 1));
}

/** The longest name `create` takes: with the version and extension, well under the 255 bytes of a file name. */
const MAX_NAME_LENGTH = 100;

/** The file names `create` writes: the next version, in the folder's own style. */
export function nextMigrationFiles(existing: DiscoveredMigration[], rawName: string, versions?: VersionRange): { up: string; down?: string } {
  const name = rawName
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!name) throw inputError(`"${rawName}" is not a usable migration name.`, 'Use letters and digits, e.g. astra migrate create add_user_email.');
  if (name.length > MAX_NAME_LENGTH) {
    throw inputError(`The migration name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} make a file name every file system takes.`, 'Give a shorter name, e.g. astra migrate create add_user_email.');
  }
  // With a range (a project's database in a shared folder), the next version of that range, in the folder's style.
  const inside = versions ? existing.filter((migration) => inRange(migration.version, versions)) : existing;
  const last = inside.at(-1) ?? (versions ? existing.at(-1) : undefined);
  if (!last) {
    const first = String(versions?.from ?? 1).padStart(6, '0');
    return { up: `${first}_${name}.up.sql`, down: `${first}_${name}.down.sql` };
  }
  // After a dotted version (Flyway's 1.1), the next whole one (2): a dotted version is a choice only its author makes.
  const lastWhole = isWholeVersion(last.version) ? last.version : Number(String(last.version).split('.')[0]);
  const version = inside.length === 0 ? versions!.from : lastWhole + 1;
  if (versions && version > versions.to) {
    throw inputError(`The range ${versions.from}–${versions.to} of this database is full: ${versions.to} is taken.`, 'Widen versions in the project file.');
  }
  const padding = /^\d+$/.test(last.digits) ? last.digits.length : 0;
  const digits = isTimestamp(last.digits) ? nextTimestamp(lastWhole) : String(version).padStart(padding, '0');
  switch (last.style) {
    case 'number':
      return { up: `${digits}.sql` };
    case 'flyway': {
      const usesUndo = existing.some((migration) => migration.downFile !== undefined);
      return { up: `V${digits}__${name}.sql`, ...(usesUndo ? { down: `U${digits}__${name}.sql` } : {}) };
    }
    case 'dash':
      return { up: `${digits}-${name.replace(/_/g, '-')}.sql` };
    case 'plain':
      return { up: `${digits}_${name}.sql` };
    case 'updown': {
      const usesDowns = existing.some((migration) => migration.downFile !== undefined);
      return usesDowns ? { up: `${digits}_${name}.up.sql`, down: `${digits}_${name}.down.sql` } : { up: `${digits}_${name}.up.sql` };
    }
  }
}
