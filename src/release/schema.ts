import * as semver from '../semver.js';
import * as z from '../zod.js';
import { inEnglish } from '../zod.js';
import { parseMigrationFileName } from '../migrations/discover.js';
import { fieldError, fieldPath, mappingError, repeats } from '../schema-messages.js';

/**
 * The front matter of `release-notes/<version>.md`, described field by field in
 * docs/release-notes.md. Every message is written to follow the field's path,
 * e.g. `migrations[1].safety` + ` must be "safe" or "breaking"`, so that
 * `formatIssue` can name the field in front of it.
 */

const versionText = z
  .string({ error: fieldError('must be a version such as "0.9.0"; quote it if YAML reads it as a number') })
  .check(z.refine((value) => semver.valid(value) === value, { error: 'must be a version such as "0.9.0" (major.minor.patch, no "v")' }));

const isoDate = z.string({ error: fieldError('must be a date such as 2026-10-01') }).check(
  z.refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), {
    error: 'must be a date such as 2026-10-01 (YYYY-MM-DD)',
  }),
);

const migrationFile = z.string({ error: fieldError('must be a migration file name such as 036-add-index.sql') }).check(
  z.refine((value) => !value.includes('/') && !value.includes('\\') && parseMigrationFileName(value)?.direction === 'up', {
    error: 'must be the name (not a path) of an up migration file, such as 036-add-index.sql',
  }),
);

export const SAFETY_LEVELS = ['safe', 'breaking'] as const;
export type Safety = (typeof SAFETY_LEVELS)[number];

const MIGRATION_FIELDS = ['file', 'safety', 'reason'] as const;

export const releaseMigrationSchema = z
  .strictObject(
    {
      file: migrationFile,
      safety: z.enum(SAFETY_LEVELS, { error: fieldError('must be "safe" or "breaking"') }),
      reason: z.optional(
        z
          .string({ error: fieldError('must be a sentence saying why the migration is breaking') })
          .check(z.trim(), z.minLength(1, { error: 'must not be empty' })),
      ),
    },
    { error: mappingError(MIGRATION_FIELDS) },
  )
  .check(
    z.superRefine((migration, context) => {
      if (migration.safety === 'breaking' && migration.reason === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['reason'],
          message: 'is required when safety is "breaking": say what breaks and what the operator must do',
        });
      }
    }),
  );

const SEED_FIELDS = ['catalog', 'deletes', 'reason'] as const;

/** A seed catalog (sync) whose rows this release removes: the deletion is breaking, so it is said here. */
export const releaseSeedSchema = z.strictObject(
  {
    catalog: z
      .string({ error: fieldError('must be the name of a seed catalog file, such as usage_plans.json') })
      .check(z.minLength(1, { error: 'must not be empty' })),
    deletes: z.literal(true, { error: fieldError('must be true: the release deletes rows of this catalog') }),
    reason: z
      .string({ error: fieldError('must be a sentence saying which rows go and what the operator must do') })
      .check(z.trim(), z.minLength(1, { error: 'must not be empty' })),
  },
  { error: mappingError(SEED_FIELDS) },
);

const RELEASE_FIELDS = ['version', 'date', 'upgrade_from', 'stop_application', 'migrations', 'seeds'] as const;

export const releaseMetadataSchema = z
  .strictObject(
    {
      version: versionText,
      date: isoDate,
      upgrade_from: z.optional(versionText),
      stop_application: z.boolean({ error: fieldError('must be true or false') }),
      migrations: z.array(releaseMigrationSchema, { error: fieldError('must be a list of { file, safety } entries ([] for none)') }),
      seeds: z.optional(z.array(releaseSeedSchema, { error: fieldError('must be a list of { catalog, deletes, reason } entries') })),
    },
    { error: mappingError(RELEASE_FIELDS) },
  )
  .check(
    z.superRefine((release, context) => {
      // Refinements run even when a field failed its own check: guard before comparing.
      const comparable = semver.valid(release.version) !== null && semver.valid(release.upgrade_from ?? '') !== null;
      if (comparable && release.upgrade_from !== undefined && !semver.lt(release.upgrade_from, release.version)) {
        context.addIssue({
          code: 'custom',
          path: ['upgrade_from'],
          message: `must be a version earlier than ${release.version} (found ${release.upgrade_from})`,
        });
      }
      for (const { index, earlier, value } of repeats(release.migrations.map((migration) => migration?.file))) {
        context.addIssue({
          code: 'custom',
          path: ['migrations', index, 'file'],
          message: `names ${value} a second time (it is already migrations[${earlier}])`,
        });
      }
      const breaking = release.migrations.findIndex((migration) => migration?.safety === 'breaking');
      if (breaking >= 0 && release.stop_application === false) {
        context.addIssue({
          code: 'custom',
          path: ['stop_application'],
          message: `must be true: migrations[${breaking}] (${release.migrations[breaking]?.file}) is breaking`,
        });
      }
    }),
  );

export type ReleaseMigration = z.infer<typeof releaseMigrationSchema>;
export type ReleaseMetadata = z.infer<typeof releaseMetadataSchema>;

export interface MetadataIssue {
  /** The field, e.g. `migrations[1].safety`; undefined for the front matter as a whole. */
  field: string | undefined;
  /** A sentence that starts with the field, e.g. `migrations[1].safety must be "safe" or "breaking"`. */
  message: string;
}

export function formatIssue(issue: { path: readonly PropertyKey[]; message: string }): MetadataIssue {
  const field = issue.path.length === 0 ? undefined : fieldPath(issue.path);
  return { field, message: `${field ?? 'the front matter'} ${issue.message}` };
}

/** Validates parsed front matter; returns the metadata or the list of problems. */
export function validateReleaseMetadata(data: unknown): { ok: true; metadata: ReleaseMetadata } | { ok: false; issues: MetadataIssue[] } {
  const result = releaseMetadataSchema.safeParse(data, inEnglish);
  if (result.success) return { ok: true, metadata: result.data };
  return { ok: false, issues: result.error.issues.map(formatIssue) };
}
