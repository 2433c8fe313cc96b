import { posix } from 'node:path';
import * as z from '../zod.js';
import { inEnglish } from '../zod.js';
import { fieldError, fieldPath, mappingError, repeats } from '../schema-messages.js';
import { SEED_MODES } from '../seed/catalog.js';

/**
 * The project file (`astra.config.json` or `.yaml`), described key by key in
 * docs/projects.md. Names that end up in SQL (schemas, the ledger table) are
 * plain lower-case identifiers, so they mean the same thing quoted or not,
 * and in a connection's startup options.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const identifier = (what: string) =>
  z
    .string({ error: fieldError(`must be ${what}: a lower-case SQL name such as "public"`) })
    .check(z.regex(IDENTIFIER, { error: `must be a lower-case SQL name (letters, digits, _; at most 63), such as "public"` }));

const DATABASE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const relativePath = (what: string) =>
  z.string({ error: fieldError(`must be the path of ${what}, relative to the project file`) }).check(z.minLength(1, { error: 'must not be empty' }));

const LEDGER_FIELDS = ['schema', 'table'] as const;
const ledgerSchema = z.strictObject(
  { schema: z.optional(identifier('a schema')), table: z.optional(identifier('a table name')) },
  { error: mappingError(LEDGER_FIELDS) },
);

const version = z.number({ error: fieldError('must be a migration version number') }).check(z.int({ error: 'must be a whole number' }), z.nonnegative());
const VERSIONS_FIELDS = ['from', 'to'] as const;
const versionsSchema = z.strictObject({ from: version, to: version }, { error: mappingError(VERSIONS_FIELDS) }).check(
  z.refine((range) => typeof range.from !== 'number' || typeof range.to !== 'number' || range.from <= range.to, {
    error: 'must have from no greater than to',
  }),
);

const SEED_FIELDS = ['file', 'table', 'key', 'mode'] as const;
const columnName = z
  .string({ error: fieldError('must be a column name') })
  .check(z.regex(/^[a-z_][a-z0-9_$]{0,62}$/, { error: 'must be a lower-case column name (letters, digits, _), such as "id"' }));
const seedSchema = z.strictObject(
  {
    file: relativePath('the catalog (a JSON list of rows)'),
    table: z.string({ error: fieldError('must be the table the catalog fills, such as "models" or "orchestrator.models"') }).check(
      z.regex(/^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/, {
        error: 'must be a lower-case table name, optionally with its schema, such as "models" or "orchestrator.models"',
      }),
    ),
    key: z.pipe(
      z.union([columnName, z.array(columnName).check(z.minLength(1, { error: 'must name at least one column' }))], {
        error: fieldError('must be the column (or list of columns) that identifies a row'),
      }),
      z.transform((key: string | string[]) => (Array.isArray(key) ? key : [key])),
    ),
    mode: z._default(z.enum(SEED_MODES, { error: fieldError('must be "insert", "upsert" or "sync"') }), 'insert'),
  },
  { error: mappingError(SEED_FIELDS) },
);

export const DATABASE_FIELDS = ['name', 'kind', 'env', 'url', 'migrations', 'versions', 'releaseNotes', 'schema', 'ledger', 'required', 'seeds'] as const;

const databaseSchema = z
  .strictObject(
    {
      name: z
        .string({ error: fieldError('must be a name such as "tenant"') })
        .check(z.regex(DATABASE_NAME, { error: 'must be a short lower-case name (letters, digits, - and _, starting with a letter), such as "tenant"' })),
      kind: z._default(z.enum(['postgres', 'clickhouse'], { error: fieldError('must be "postgres" or "clickhouse"') }), 'postgres'),
      env: z.optional(
        z
          .string({ error: fieldError('must be the name of an environment variable holding the URL') })
          .check(z.regex(ENV_NAME, { error: 'must be the name of an environment variable, such as TENANT_DATABASE_URL' })),
      ),
      url: z.optional(
        z
          .string({ error: fieldError('must be a postgresql:// URL, with ${VAR} for the parts kept in the environment') })
          .check(z.minLength(1, { error: 'must not be empty' })),
      ),
      migrations: relativePath('the migrations folder'),
      versions: z.optional(versionsSchema),
      releaseNotes: z.optional(relativePath('the release notes folder')),
      schema: z.optional(identifier('a schema')),
      ledger: z.optional(ledgerSchema),
      required: z._default(z.boolean({ error: fieldError('must be true or false') }), true),
      seeds: z._default(z.array(seedSchema, { error: fieldError('must be a list of seed catalogs ({ file, table, key, mode })') }), []),
    },
    { error: mappingError(DATABASE_FIELDS) },
  )
  .check(
    z.superRefine((database, context) => {
      if ((database.env === undefined) === (database.url === undefined)) {
        context.addIssue({
          code: 'custom',
          path: [],
          message: 'must say where its URL comes from with exactly one of env (a variable name) or url (a URL with ${VAR} references)',
        });
      }
      if (typeof database.url === 'string') {
        const problem = passwordProblem(database.url) ?? urlFormProblem(database.url, database.kind);
        if (problem) context.addIssue({ code: 'custom', path: ['url'], message: problem });
      }
      if (database.kind === 'clickhouse') {
        // A ClickHouse database's objects and ledger go in the database its URL names.
        const postgresOnly = (['schema', 'seeds'] as const).filter((key) => (key === 'seeds' ? database.seeds.length > 0 : database[key] !== undefined));
        for (const key of postgresOnly) {
          context.addIssue({
            code: 'custom',
            path: [key],
            message: 'is for PostgreSQL databases; a ClickHouse database keeps its tables in the database its URL names',
          });
        }
        if (database.ledger?.schema !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['ledger', 'schema'],
            message: 'is for PostgreSQL databases; a ClickHouse ledger is a table of the database its URL names',
          });
        }
      }
    }),
  );

const PROJECT_FIELDS = ['databases', 'backupDir'] as const;

export const projectSchema = z
  .strictObject(
    {
      databases: z
        .array(databaseSchema, { error: fieldError('must be a list of databases') })
        .check(z.minLength(1, { error: 'must name at least one database' })),
      backupDir: z.optional(relativePath('the backup folder')),
    },
    { error: mappingError(PROJECT_FIELDS) },
  )
  .check(
    z.superRefine((project, context) => {
      overlappingRanges(project.databases, context);
      for (const { index, earlier, value } of repeats(project.databases.map((database) => database?.name))) {
        context.addIssue({ code: 'custom', path: ['databases', index, 'name'], message: `names "${value}" a second time (databases[${earlier}])` });
      }
    }),
  );

export type ProjectFile = z.infer<typeof projectSchema>;

/**
 * Databases that share a migrations folder each take a range of it, and no
 * two ranges overlap: a migration belongs to one database.
 */
function overlappingRanges(
  databases: readonly { migrations?: unknown; versions?: { from: number; to: number } | undefined }[],
  context: { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void },
): void {
  const folder = (database: { migrations?: unknown }) =>
    typeof database.migrations === 'string' ? posix.normalize(database.migrations.replace(/\\/g, '/')).replace(/\/$/, '') : undefined;
  databases.forEach((database, index) => {
    for (let earlier = 0; earlier < index; earlier++) {
      const other = databases[earlier]!;
      if (folder(database) === undefined || folder(database) !== folder(other)) continue;
      const [a, b] = [other.versions, database.versions];
      if (!a || !b) {
        context.addIssue({
          code: 'custom',
          path: ['databases', index, 'versions'],
          message: `is needed: databases[${earlier}] has the same migrations folder, so each must take a range of it (versions: { from, to })`,
        });
      } else if (a.from <= b.to && b.from <= a.to) {
        context.addIssue({
          code: 'custom',
          path: ['databases', index, 'versions'],
          message: `overlaps databases[${earlier}].versions (${a.from}–${a.to}) in the same migrations folder: a migration belongs to one database`,
        });
      }
    }
  });
}

/**
 * A password written in the file is refused: the file is committed, copied
 * and printed. One given as a single `${VAR}` reference comes from the
 * environment at run time, which is allowed.
 */
export function passwordProblem(url: string): string | undefined {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(url)?.[1];
  const password = userinfo?.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : undefined;
  if (password !== undefined && password !== '' && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(password)) {
    return 'holds a password; keep it out of the file: write ${VAR} in its place, or use env, PGPASSWORD or a .pgpass file';
  }
  const parameter = /[?&]password=([^&]*)/i.exec(url)?.[1];
  if (parameter !== undefined && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(parameter)) {
    return 'holds a password parameter; keep it out of the file: write ${VAR} in its place, or use PGPASSWORD or a .pgpass file';
  }
  return undefined;
}

/** A URL is a postgres:// or postgresql:// URL (http:// or https:// for ClickHouse), or one ${VAR} holding the whole of it. */
function urlFormProblem(url: string, kind: 'postgres' | 'clickhouse'): string | undefined {
  if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(url)) return undefined;
  if (kind === 'clickhouse')
    return /^https?:\/\//i.test(url)
      ? undefined
      : 'must be an http:// or https:// URL of ClickHouse (its HTTP interface), or ${VAR} naming a variable that holds one';
  if (/^postgres(ql)?:\/\//i.test(url)) return undefined;
  return 'must be a postgresql:// URL, or ${VAR} naming a variable that holds one';
}

/** One sentence per problem, each starting with the key, e.g. `databases[1].name names "tenant" a second time`. */
export function projectIssues(data: unknown): { ok: true; project: ProjectFile } | { ok: false; issues: string[] } {
  const result = projectSchema.safeParse(data, inEnglish);
  if (result.success) return { ok: true, project: result.data };
  return { ok: false, issues: result.error.issues.map((issue) => `${issue.path.length ? fieldPath(issue.path) : 'the file'} ${issue.message}`) };
}
