import type { LedgerRow } from '../../db/ledger.js';
import { AstraError, errorMessage } from '../../errors.js';
import { sha256, type Migration, type MigrationFile } from '../../migrations/load.js';
import { oneLine } from '../../migrations/plan.js';
import { findDrift, schemasOf, type ActualSchema, type DriftFinding } from '../schema-drift-compare.js';
import { expectedSchema, keyOf, type AppliedStatements, type ExpectedSchema } from '../schema-model.js';
import { schemaFromStored, storedSchema, type StoredSchema } from '../stored-schema.js';
import type { CheckOutcome, DoctorCheck, DoctorDatabase, DoctorInput } from '../types.js';

/**
 * The statements that ran: every statement of an applied migration, and of an
 * unfinished one those before the statement it stopped at. A migration whose
 * file changed since is left out (what ran is unknown; the migrations check
 * reports it).
 */
export function appliedStatements(migrations: Migration[], rows: LedgerRow[]): AppliedStatements[] {
  const rowByVersion = new Map(rows.map((row) => [row.version, row]));
  const applied: AppliedStatements[] = [];
  for (const migration of migrations) {
    const row = rowByVersion.get(migration.version);
    if (!row || row.checksum !== migration.checksum) continue;
    const statements = row.dirty ? migration.statements.slice(0, row.nextStatement ?? 0) : migration.statements;
    applied.push({ version: migration.version, file: migration.file, statements });
  }
  return applied;
}

async function readCatalog(db: DoctorDatabase, schemas: string[]): Promise<ActualSchema> {
  const actual: ActualSchema = { tables: new Map(), indexes: new Map() };
  const columns = await db.query<{ schema: string; table: string; column: string | null; type: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])`,
    [schemas],
  );
  for (const row of columns.rows) {
    const key = keyOf(row.schema, row.table);
    const table = actual.tables.get(key) ?? new Map<string, string>();
    if (row.column !== null) table.set(row.column, row.type ?? '');
    actual.tables.set(key, table);
  }
  const indexes = await db.query<{ schema: string; name: string; table_schema: string; table: string }>(
    `SELECT n.nspname AS schema, ic.relname AS name, tn.nspname AS table_schema, tc.relname AS table
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE n.nspname = ANY($1::text[])`,
    [schemas],
  );
  for (const row of indexes.rows) actual.indexes.set(keyOf(row.schema, row.name), keyOf(row.table_schema, row.table));
  return actual;
}

/** What the server calls each type the migrations wrote; null for a type it does not know. */
async function resolveTypes(db: DoctorDatabase, expected: ExpectedSchema): Promise<Map<string, string | null>> {
  const texts = [...new Set([...expected.tables.values()].flatMap((table) => [...table.columns.values()].map((column) => column.type)))].filter(
    (type): type is string => type !== undefined,
  );
  if (texts.length === 0) return new Map();
  const { rows } = await db.query<{ text: string; formatted: string | null }>(
    'SELECT t AS text, format_type(to_regtype(t), NULL) AS formatted FROM unnest($1::text[]) AS t',
    [texts],
  );
  return new Map(rows.map((row) => [row.text, row.formatted]));
}

function describe(finding: DriftFinding): string {
  const state = finding.problem === 'missing' ? 'is missing' : finding.change;
  return `${finding.kind} ${finding.object} ${state} (${finding.origin.file})`;
}

/** Turns findings into the report line; the fix names the statements that made what is gone. */
export function judgeDrift(findings: DriftFinding[], expected: ExpectedSchema): CheckOutcome {
  if (findings.length === 0) {
    if (expected.tables.size === 0 && expected.indexes.size === 0)
      return { status: 'ok', detail: 'nothing to compare: the applied migrations made no tables or indexes' };
    const columns = [...expected.tables.values()].reduce((sum, table) => sum + table.columns.size, 0);
    const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    return {
      status: 'ok',
      detail: `${count(expected.tables.size, 'table', 'tables')}, ${count(columns, 'column', 'columns')} and ${count(expected.indexes.size, 'index', 'indexes')} made by the applied migrations are in place`,
    };
  }
  const files = [...new Set(findings.map((finding) => finding.origin.file))];
  const indexStatements = [
    ...new Set(
      findings.filter((finding) => finding.kind === 'index' && finding.problem === 'missing').map((finding) => `${oneLine(finding.origin.statement, 300)};`),
    ),
  ];
  const rebuild =
    indexStatements.length > 0
      ? ` Rebuild the missing ${indexStatements.length === 1 ? 'index' : 'indexes'} (CONCURRENTLY on a busy table): ${indexStatements.join(' ')}`
      : '';
  return {
    status: 'fail',
    detail: `${findings.length} ${findings.length === 1 ? 'object' : 'objects'} the applied migrations made ${findings.length === 1 ? 'is' : 'are'} gone or changed: ${findings.map(describe).join('; ')}`,
    fix:
      `Put ${findings.length === 1 ? 'it' : 'them'} back as ${files.join(', ')} made ${findings.length === 1 ? 'it' : 'them'}, or restore the latest verified backup.${rebuild}` +
      ' If the change was meant, make it in a new migration so that the package knows about it.',
  };
}

/**
 * The key of the model of one state: every file's checksum (so that a file
 * that does not parse never meets a model kept before it was written), the
 * ledger's rows and the schema that places unqualified names. The cache's
 * folder is one build's of astra: a build that models differently keeps its
 * own.
 */
function modelKey(files: MigrationFile[], rows: LedgerRow[], defaultSchema: string): string {
  return sha256(
    JSON.stringify([
      defaultSchema,
      files.map((file) => [String(file.version), file.file, file.checksum]),
      rows.map((row) => [String(row.version), row.checksum]),
    ]),
  );
}

/**
 * What the applied migrations made. Their parse trees are read (from the
 * parse cache, a few hundred kilobytes for a hundred migrations) only when
 * no model was kept for the same files and ledger: a doctor run after
 * another, or after the upgrade's own, reads the model alone. A dirty
 * migration is always worked out from its trees.
 */
async function expectedOf(input: DoctorInput, rows: LedgerRow[], defaultSchema: string): Promise<ExpectedSchema> {
  const clean = !rows.some((row) => row.dirty);
  const cache = clean ? input.derivedCache?.('doctor schema model') : undefined;
  const key = cache ? modelKey(await input.migrationFiles(), rows, defaultSchema) : undefined;
  const kept = key === undefined ? undefined : cache?.read(key, (value): value is StoredSchema => typeof value === 'object' && value !== null);
  const model = kept === undefined ? undefined : schemaFromStored(kept);
  if (model) return model;
  // migrations() parses the same reading of the files as migrationFiles(): the key is that of what the model is made from.
  const expected = expectedSchema(appliedStatements(await input.migrations(), rows), defaultSchema);
  if (cache && key !== undefined) {
    cache.write(key, storedSchema(expected));
    cache.save();
  }
  return expected;
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const rows = await input.ledgerRows();
  const { rows: schemaRows } = await db.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const defaultSchema = schemaRows[0]?.schema ?? 'public';
  let expected: ExpectedSchema;
  try {
    expected = await expectedOf(input, rows, defaultSchema);
  } catch (error) {
    return {
      status: 'fail',
      detail: `skipped: the migrations could not be read (${errorMessage(error)})`,
      fix: error instanceof AstraError && error.fix ? error.fix : 'Fix the migrations folder first.',
    };
  }
  const actual = await readCatalog(db, schemasOf(expected));
  return judgeDrift(findDrift(expected, actual, await resolveTypes(db, expected)), expected);
}

export const schemaDrift: DoctorCheck = {
  id: 'schema-drift',
  title: 'Schema drift',
  area: 'schema',
  connection: 'needs',
  run,
};
