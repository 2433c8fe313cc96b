import {
  array,
  boolean,
  enum as oneOf,
  int,
  literal,
  looseObject,
  nonnegative,
  nullable,
  object,
  optional,
  refine,
  regex,
  string,
  type infer as Infer,
  inEnglish,
  union,
} from '../zod.js';
import { isBackupId } from './backup-id.js';
import { parseVersion } from '../migration-version.js';
import { byCodeUnit } from '../order.js';

/** A migration version: a whole number, or a dotted one (Flyway's 1.1) as its canonical text. */
const migrationVersion = union([int(), string().check(refine((text) => typeof parseVersion(text) === 'string' && parseVersion(text) === text))]);

/** The two pg_dump archive formats astra writes. */
export const BACKUP_FORMATS = ['custom', 'directory'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

const count = () => int().check(nonnegative());

const tableCount = object({
  schema: string(),
  name: string(),
  rows: count(),
  /** True when `rows` is the planner's estimate (pg_class.reltuples) rather than a count. */
  estimated: boolean(),
});

const verification = object({
  at: string(),
  ok: boolean(),
  deep: boolean(),
  /** The names of the checks that failed, e.g. ["checksum"]. */
  failedChecks: array(string()),
});

/**
 * `<id>.json` beside the archive: what was dumped, from where, at which
 * schema version, and how to tell the archive is intact. Never holds a
 * password. Unknown fields are kept when the manifest is rewritten.
 */
export const manifestSchema = looseObject({
  manifestVersion: literal(1),
  id: string(),
  createdAt: string(),
  database: object({ name: string(), host: string(), port: int(), user: string() }),
  serverVersion: string(),
  serverVersionNum: int(),
  pgDumpVersion: string(),
  appVersion: string(),
  /** Highest version in the ledger that is not dirty; null when no migration is applied. */
  schemaVersion: nullable(migrationVersion),
  appliedMigrations: array(migrationVersion),
  /** Migrations that were unfinished (dirty) when the backup was taken; absent when none was. */
  unfinishedMigrations: optional(array(migrationVersion)),
  format: oneOf(BACKUP_FORMATS),
  /** The archive's name in the backup folder: `<id>.dump` (custom) or `<id>.dir` (directory). */
  archive: string(),
  sizeBytes: count(),
  sha256: string().check(regex(/^[0-9a-f]{64}$/)),
  durationMs: count(),
  tables: array(tableCount),
  fromVersion: optional(string()),
  toVersion: optional(string()),
  verification: optional(verification),
}).check(
  refine((manifest) => isBackupId(manifest.id), { message: 'is not a backup id (they look like 20261102T143015Z-a1b2c3)', path: ['id'] }),
  refine((manifest) => manifest.archive === archiveNameOf(manifest.id, manifest.format), {
    // The archive is deleted by prune and read by restore: a name that leaves
    // the backup folder ("../..") must never reach either.
    message: 'must be the backup id followed by .dump (custom format) or .dir (directory format)',
    path: ['archive'],
  }),
);

/** The archive's name in the backup folder: `<id>.dump` (custom) or `<id>.dir` (directory). */
export function archiveNameOf(id: string, format: BackupFormat): string {
  return format === 'custom' ? `${id}.dump` : `${id}.dir`;
}

export type BackupManifest = Infer<typeof manifestSchema>;
export type TableCount = Infer<typeof tableCount>;
export type Verification = Infer<typeof verification>;

export function parseManifest(data: unknown): { ok: true; manifest: BackupManifest } | { ok: false; problem: string } {
  const result = manifestSchema.safeParse(data, inEnglish);
  if (result.success) return { ok: true, manifest: result.data };
  const issue = result.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'the manifest'}: ${issue?.message ?? 'invalid'}` };
}

/** Newest first: by creation time, then by id. */
export function newestFirst<T extends { createdAt: string; id: string }>(manifests: readonly T[]): T[] {
  return [...manifests].sort((a, b) => (a.createdAt === b.createdAt ? byCodeUnit(b.id, a.id) : byCodeUnit(b.createdAt, a.createdAt)));
}

/** Where a manifest's database was, as a person reads it (never with a password). */
export function databaseLabel(manifest: Pick<BackupManifest, 'database'>): string {
  const { user, host, port, name } = manifest.database;
  return `${user}@${host}:${port}/${name}`;
}
