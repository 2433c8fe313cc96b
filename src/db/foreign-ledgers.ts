import { basename } from 'node:path';
import type { Database } from './database.js';
import { parseVersion, type MigrationVersion } from '../migration-version.js';
import { quoteIdent } from './quote.js';
import { errorMessage, operationError } from '../errors.js';

/**
 * Migration tools whose ledgers astra reads, each known by its table's name
 * and columns as the tool's own source creates it:
 *
 * - golang-migrate (database/postgres/postgres.go, ensureVersionTable):
 *   `schema_migrations (version bigint not null primary key, dirty boolean not null)`,
 *   one row: the current version.
 * - dbmate (pkg/driver/postgres/postgres.go, CreateMigrationsTable):
 *   `schema_migrations (version varchar(128) primary key)`, a row per applied file.
 * - node-pg-migrate (src/runner.ts, ensureMigrationsTable):
 *   `pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`,
 *   a row per applied file, by file name without its extension.
 * - goose (internal/dialect/dialectquery/postgres.go, CreateTable):
 *   `goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))`,
 *   a row per apply and per rollback; the newest row of a version says its state.
 * - Flyway (PostgreSQLDatabase.getRawCreateScript): `flyway_schema_history (installed_rank INT NOT NULL,
 *   version VARCHAR(50), description, type, script, checksum INTEGER, installed_by, installed_on,
 *   execution_time, success BOOLEAN NOT NULL)`, a row per applied, undone or failed script, with a
 *   CRC-32 checksum of each file.
 * - An application's own runner (AtlasAI's `schema_migrations (version, name, applied_at)`, Open
 *   Astra's table of applied file names): `schema_migrations` with a whole-number `version` and a
 *   `name`, or a `filename`, column; a row per applied file.
 */
export type ForeignTool = 'golang-migrate' | 'dbmate' | 'node-pg-migrate' | 'goose' | 'flyway' | 'schema-migrations';

export const FOREIGN_TOOLS: readonly ForeignTool[] = ['golang-migrate', 'dbmate', 'node-pg-migrate', 'goose', 'flyway', 'schema-migrations'];

/** Another tool's ledger found in the database. */
export interface ForeignLedger {
  tool: ForeignTool;
  /** Schema-qualified and quoted, for SQL: "schema"."name". */
  table: string;
  /** As people write it: name, or schema.name outside public. */
  shown: string;
  schema: string;
  rows: number;
}

/** The table name each tool uses unless told otherwise. */
export const DEFAULT_TABLES: Record<ForeignTool, string> = {
  'golang-migrate': 'schema_migrations',
  dbmate: 'schema_migrations',
  'node-pg-migrate': 'pgmigrations',
  goose: 'goose_db_version',
  flyway: 'flyway_schema_history',
  'schema-migrations': 'schema_migrations',
};

/** Which tool made a table, from its columns; undefined when none of them did. */
function toolOfColumns(columns: Map<string, string>): ForeignTool | undefined {
  const has = (...names: string[]) => names.every((name) => columns.has(name));
  if (has('version', 'dirty') && columns.size === 2) return 'golang-migrate';
  if (has('version') && columns.size === 1 && /char|text/.test(columns.get('version')!)) return 'dbmate';
  if (has('id', 'name', 'run_on') && columns.size === 3) return 'node-pg-migrate';
  if (has('version_id', 'is_applied')) return 'goose';
  if (has('installed_rank', 'version', 'script', 'checksum', 'success')) return 'flyway';
  if (has('version', 'name') && /int|numeric/.test(columns.get('version')!)) return 'schema-migrations';
  if (has('filename') || (has('name') && !has('version'))) return 'schema-migrations';
  return undefined;
}

/**
 * The ledgers of other tools in the database: tables of the names the tools
 * use by default (or `table`, a name or schema.name, when the tool was told
 * another), in the schemas of the search path (or the one `table` names),
 * whose columns are the tool's. Rows are counted; a table astra may not read
 * is left out, as are the tables named in `exclude` (those the migrations
 * create themselves).
 */
export async function findForeignLedgers(db: Database, table?: string, exclude: string[] = []): Promise<ForeignLedger[]> {
  const [schemaName, tableName] = table?.includes('.') ? (table.split('.', 2) as [string, string]) : [undefined, table];
  const names = (tableName ? [tableName] : [...new Set(Object.values(DEFAULT_TABLES))]).filter((name) => !exclude.includes(name));
  if (names.length === 0) return [];
  const { rows } = await db.query<{ schema: string; name: string; columns: { name: string; type: string }[] }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1)
        AND (CASE WHEN $2::text IS NULL THEN n.nspname = ANY(current_schemas(false)) ELSE n.nspname = $2 END)
      GROUP BY c.oid, n.nspname, c.relname
      ORDER BY n.nspname, c.relname`,
    [names, schemaName ?? null],
  );
  const found: ForeignLedger[] = [];
  for (const row of rows) {
    const tool = toolOfColumns(new Map(row.columns.map((column) => [column.name, column.type])));
    if (!tool) continue;
    const qualified = `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`;
    try {
      const { rows: count } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`);
      const shown = row.schema === 'public' ? row.name : `${row.schema}.${row.name}`;
      found.push({ tool, table: qualified, shown, schema: row.schema, rows: Number(count[0]?.n ?? 0) });
    } catch (error) {
      // A ledger astra cannot read may record what it must not apply again.
      const shown = row.schema === 'public' ? row.name : `${row.schema}.${row.name}`;
      throw operationError(
        `${shown} looks like ${tool}'s ledger, and astra's role cannot read it (${errorMessage(error)}), so astra cannot tell what ${tool} applied; nothing was changed.`,
        `Grant SELECT on ${shown} to the role astra connects as.`,
        error,
      );
    }
  }
  return found;
}

/** One migration another tool recorded as applied. */
export interface ForeignRecord {
  /** The version, for tools that record one. */
  version?: MigrationVersion;
  /** The file name without extension, for tools that record it (node-pg-migrate). */
  name?: string;
  appliedAt?: Date;
  /** The checksum the tool recorded of the file (Flyway's CRC-32), to compare with the file. */
  checksum?: number;
  /** The file the tool recorded (Flyway's script). */
  script?: string;
}

/** The version of a record: its own, or the number a recorded file name begins with (node-pg-migrate, file-name tables). */
export function recordVersion(record: ForeignRecord): MigrationVersion | undefined {
  if (record.version !== undefined) return record.version;
  const digits = /^\d+/.exec(record.name ?? '')?.[0];
  return digits !== undefined && Number.isSafeInteger(Number(digits)) ? Number(digits) : undefined;
}

/** What another tool's ledger says: what it applied, and what stops an adoption (dirty, unreadable rows). */
export interface ForeignReading {
  tool: ForeignTool;
  /** For SQL. */
  table: string;
  /** For messages. */
  shown: string;
  applied: ForeignRecord[];
  /** For golang-migrate, which records only where the database stands: every file up to this version is applied (Flyway's baseline too). */
  upTo?: MigrationVersion;
  /** Flyway's repeatable migrations, each as last applied: its script (file name), description and checksum. */
  repeatables: { file: string; name: string; checksum: number | null; appliedAt: Date }[];
  problems: string[];
}

/** Reads the ledger `ledger` as its tool wrote it. */
export async function readForeignLedger(db: Database, ledger: ForeignLedger): Promise<ForeignReading> {
  const { tool, table, shown } = ledger;
  const reading: ForeignReading = { tool, table, shown, applied: [], repeatables: [], problems: [] };
  switch (tool) {
    case 'golang-migrate': {
      const { rows } = await db.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${table} ORDER BY version DESC`);
      if (rows.length > 1) reading.problems.push(`${shown} holds ${rows.length} rows, where golang-migrate keeps one`);
      const current = rows[0];
      if (current?.dirty) {
        reading.problems.push(
          `golang-migrate recorded version ${current.version} as dirty (it failed part way): finish or undo it by hand, then record it with golang-migrate's force ${current.version} (or the version before it)`,
        );
      }
      if (current && Number(current.version) >= 0) reading.upTo = Number(current.version);
      return reading;
    }
    case 'dbmate': {
      const { rows } = await db.query<{ version: string }>(`SELECT version FROM ${table}`);
      for (const { version } of rows) {
        if (/^\d+$/.test(version) && Number.isSafeInteger(Number(version))) reading.applied.push({ version: Number(version) });
        else reading.problems.push(`dbmate recorded the version "${version}", which is not a number astra can hold`);
      }
      return reading;
    }
    case 'node-pg-migrate': {
      const { rows } = await db.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM ${table} ORDER BY run_on, id`);
      reading.applied = rows.map((row) => ({ name: row.name, appliedAt: row.run_on }));
      return reading;
    }
    case 'goose': {
      const { rows } = await db.query<{ version_id: string; is_applied: boolean; tstamp: Date | null }>(
        `SELECT version_id::text AS version_id, is_applied, tstamp FROM ${table} ORDER BY id`,
      );
      // The newest row of each version says whether it is applied now (a rollback adds a row with is_applied false).
      const state = new Map<number, { applied: boolean; at: Date | null }>();
      for (const row of rows) state.set(Number(row.version_id), { applied: row.is_applied, at: row.tstamp });
      for (const [version, { applied, at }] of [...state].sort(([a], [b]) => a - b)) {
        // Version 0 is the row goose writes when it creates its table.
        if (applied && version > 0) reading.applied.push({ version, ...(at ? { appliedAt: at } : {}) });
      }
      return reading;
    }
    case 'flyway':
      return readFlyway(db, reading);
    case 'schema-migrations':
      return readSchemaMigrations(db, reading);
  }
}

interface FlywayRow {
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  installed_on: Date;
  success: boolean;
}

/**
 * Flyway's history, in the order it was installed: versioned scripts apply
 * their version, undo scripts and deletions take it back, a baseline stands
 * for every version up to it. Versions are compared as Flyway does (1.9 <
 * 1.10, 1.0 = 1). A repeatable migration (no version) is kept as last
 * applied. A failed row stops the adoption.
 */
async function readFlyway(db: Database, reading: ForeignReading): Promise<ForeignReading> {
  const { rows } = await db.query<FlywayRow>(
    `SELECT version, description, type, script, checksum, installed_on, success FROM ${reading.table} ORDER BY installed_rank`,
  );
  const applied = new Map<MigrationVersion, ForeignRecord>();
  const repeatables = new Map<string, ForeignReading['repeatables'][number]>();
  for (const row of rows) {
    if (row.type === 'SCHEMA') continue;
    const label = `${row.script}${row.version ? ` (version ${row.version})` : ''}`;
    if (!row.success) {
      reading.problems.push(`Flyway recorded ${label} as failed: repair the database by hand, then run flyway repair`);
      continue;
    }
    if (row.version === null) {
      // A repeatable migration (Flyway records none with a version): its newest row is what the database holds.
      if (row.type === 'DELETE') repeatables.delete(row.script);
      else repeatables.set(row.script, { file: basename(row.script), name: row.description, checksum: row.checksum, appliedAt: row.installed_on });
      continue;
    }
    const version = parseVersion(row.version);
    if (version === undefined) {
      reading.problems.push(`Flyway's version ${row.version} of ${row.script} is not a version astra can read (digits in parts joined by dots)`);
      continue;
    }
    if (row.type === 'BASELINE') reading.upTo = version;
    else if (/^UNDO_/.test(row.type) || row.type === 'DELETE') applied.delete(version);
    else applied.set(version, { version, appliedAt: row.installed_on, script: row.script, ...(row.checksum !== null ? { checksum: row.checksum } : {}) });
  }
  reading.applied = [...applied.values()];
  reading.repeatables = [...repeatables.values()];
  return reading;
}

/** An application's own table: by version where it has one, else by the file name it recorded. */
async function readSchemaMigrations(db: Database, reading: ForeignReading): Promise<ForeignReading> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ${reading.table}`);
  for (const row of rows) {
    const at = row.applied_at ?? row.executed_at ?? row.run_on ?? row.created_at;
    const appliedAt = at instanceof Date ? { appliedAt: at } : {};
    // bigint arrives as a string, integer as a number.
    const version = typeof row.version === 'number' || typeof row.version === 'string' ? String(row.version) : undefined;
    if (version !== undefined && /^\d+$/.test(version)) {
      reading.applied.push({ version: Number(version), ...appliedAt });
      continue;
    }
    const file = row.filename ?? row.name;
    if (typeof file === 'string' && file !== '') reading.applied.push({ name: file.replace(/\.sql$/, ''), ...appliedAt });
    else reading.problems.push(`${reading.shown} has a row that names no version and no file`);
  }
  return reading;
}
