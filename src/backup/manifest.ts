import { z } from 'zod';
import { isBackupId } from './backup-id.js';

/** The two pg_dump archive formats astra writes. */
export const BACKUP_FORMATS = ['custom', 'directory'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

const tableCount = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number().int().nonnegative(),
  /** True when `rows` is the planner's estimate (pg_class.reltuples) rather than a count. */
  estimated: z.boolean(),
});

const verification = z.object({
  at: z.string(),
  ok: z.boolean(),
  deep: z.boolean(),
  /** The names of the checks that failed, e.g. ["checksum"]. */
  failedChecks: z.array(z.string()),
});

/**
 * `<id>.json` beside the archive: what was dumped, from where, at which
 * schema version, and how to tell the archive is intact. Never holds a
 * password. Unknown fields are kept when the manifest is rewritten.
 */
export const manifestSchema = z
  .looseObject({
    manifestVersion: z.literal(1),
    id: z.string(),
    createdAt: z.string(),
    database: z.object({ name: z.string(), host: z.string(), port: z.number().int(), user: z.string() }),
    serverVersion: z.string(),
    serverVersionNum: z.number().int(),
    pgDumpVersion: z.string(),
    appVersion: z.string(),
    /** Highest version in the ledger that is not dirty; null when no migration is applied. */
    schemaVersion: z.number().int().nullable(),
    appliedMigrations: z.array(z.number().int()),
    /** Migrations that were unfinished (dirty) when the backup was taken; absent when none was. */
    unfinishedMigrations: z.array(z.number().int()).optional(),
    format: z.enum(BACKUP_FORMATS),
    /** The archive's name in the backup folder: `<id>.dump` (custom) or `<id>.dir` (directory). */
    archive: z.string(),
    sizeBytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    durationMs: z.number().int().nonnegative(),
    tables: z.array(tableCount),
    fromVersion: z.string().optional(),
    toVersion: z.string().optional(),
    verification: verification.optional(),
  })
  .refine((manifest) => isBackupId(manifest.id), { message: 'is not a backup id (they look like 20261102T143015Z-a1b2c3)', path: ['id'] })
  .refine((manifest) => manifest.archive === archiveNameOf(manifest.id, manifest.format), {
    // The archive is deleted by prune and read by restore: a name that leaves
    // the backup folder ("../..") must never reach either.
    message: 'must be the backup id followed by .dump (custom format) or .dir (directory format)',
    path: ['archive'],
  });

/** The archive's name in the backup folder: `<id>.dump` (custom) or `<id>.dir` (directory). */
export function archiveNameOf(id: string, format: BackupFormat): string {
  return format === 'custom' ? `${id}.dump` : `${id}.dir`;
}

export type BackupManifest = z.infer<typeof manifestSchema>;
export type TableCount = z.infer<typeof tableCount>;
export type Verification = z.infer<typeof verification>;

export function parseManifest(data: unknown): { ok: true; manifest: BackupManifest } | { ok: false; problem: string } {
  const result = manifestSchema.safeParse(data);
  if (result.success) return { ok: true, manifest: result.data };
  const issue = result.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'the manifest'}: ${issue?.message ?? 'invalid'}` };
}

/** Newest first: by creation time, then by id. */
export function newestFirst<T extends { createdAt: string; id: string }>(manifests: readonly T[]): T[] {
  return [...manifests].sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
}

/** Where a manifest's database was, as a person reads it (never with a password). */
export function databaseLabel(manifest: Pick<BackupManifest, 'database'>): string {
  const { user, host, port, name } = manifest.database;
  return `${user}@${host}:${port}/${name}`;
}
