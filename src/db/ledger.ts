import { astraVersion } from '../version.js';
import type { Database } from './database.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { operationError } from '../errors.js';
import { compareVersions, fromLedgerKey, ledgerKey, type MigrationVersion } from '../migration-version.js';

/** Name of astra's ledger table: in the schema first on the search path, or where a project file puts it. */
export const LEDGER_TABLE = 'astra_migrations';

/** What the ledger records of one migration. */
export interface LedgerRow {
  version: MigrationVersion;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  astraVersion: string;
  /** Started and not finished: a statement outside a transaction failed, or the run was killed. */
  dirty: boolean;
  /** For a dirty migration: the 0-based statement to resume at, when resuming makes sense. */
  nextStatement: number | null;
  failedStatement: string | null;
  error: string | null;
}

interface RawRow {
  version: string;
  name: string;
  checksum: string;
  applied_at: Date;
  duration_ms: number;
  astra_version: string;
  dirty: boolean;
  next_statement: number | null;
  failed_statement: string | null;
  error: string | null;
}

/** What a migration recorded again as applied sets in its ledger row. */
const APPLIED_UPDATE = `name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = now(),
         duration_ms = EXCLUDED.duration_ms, astra_version = EXCLUDED.astra_version, dirty = false,
         next_statement = NULL, failed_statement = NULL, error = NULL`;

/**
 * astra's record of applied migrations. Every write that marks a migration
 * applied happens in the transaction that applied it.
 */
export class Ledger {
  private constructor(
    private readonly db: Database,
    /** The table, as SQL (schema-qualified, quoted where needed). */
    readonly qualifiedName: string,
    readonly exists: boolean,
  ) {}

  /**
   * Finds the ledger of `db`; with `create`, creates it when missing. Without
   * a project, the ledger is in the schema first on the search path; with
   * one, where the project file puts it, and nowhere else.
   */
  static async open(db: Database, options: { create: boolean }): Promise<Ledger> {
    const placement = db.target.placement;
    if (placement) return Ledger.openPlaced(db, placement.ledger, options);
    const { rows } = await db.query<{ schema: string | null; found: string | null }>('SELECT current_schema() AS schema, to_regclass($1)::text AS found', [
      LEDGER_TABLE,
    ]);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('the search path names no schema that exists, so astra has nowhere to keep its ledger');
    const qualifiedName = `${quoteIdent(schema)}.${quoteIdent(LEDGER_TABLE)}`;
    // regclass prints the name as SQL, quoted where needed.
    if (rows[0]?.found) return new Ledger(db, rows[0].found, true);
    if (!options.create) return new Ledger(db, qualifiedName, false);
    return Ledger.create(db, qualifiedName);
  }

  private static async openPlaced(db: Database, where: { schema: string; table: string }, options: { create: boolean }): Promise<Ledger> {
    const qualifiedName = `${quoteIdent(where.schema)}.${quoteIdent(where.table)}`;
    const { rows } = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [qualifiedName]);
    if (rows[0]?.found) return new Ledger(db, qualifiedName, true);
    // Missing where the project file says, but kept elsewhere: the file or the
    // database moved. Starting over would run every migration again.
    const elsewhere = await db.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relname = $1
          AND (SELECT count(*) FROM pg_attribute a
                WHERE a.attrelid = c.oid AND NOT a.attisdropped
                  AND a.attname IN ('version', 'checksum', 'astra_version', 'dirty', 'next_statement')) = 5
        ORDER BY 1`,
      [where.table],
    );
    // Only a ledger that records this database's migrations counts: another database of the project
    // may keep its own ledger of that name in this database, for its own range.
    const range = db.target.placement?.versions ?? { from: 0, to: Number.MAX_SAFE_INTEGER };
    const holding: string[] = [];
    for (const { name } of elsewhere.rows) {
      const { rows: found } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${name} WHERE version BETWEEN $1 AND $2) AS any`, [
        range.from,
        range.to,
      ]);
      if (found[0]?.any) holding.push(name);
    }
    if (holding.length > 0) {
      // Project names are plain lower-case identifiers: shown as written in the file.
      const shown = `${where.schema}.${where.table}`;
      throw operationError(
        `astra's ledger is not at ${shown}, where the project file puts it, but ${db.target.label} has one at ${holding.join(', ')}; nothing was changed.`,
        `Point ledger (schema, table) in the project file at ${holding[0]!}, or move that table to ${shown} (ALTER TABLE ... SET SCHEMA).`,
      );
    }
    if (!options.create) return new Ledger(db, qualifiedName, false);
    // The schema the migrations work in, and the ledger's, exist before the first migration runs.
    const placement = db.target.placement!;
    for (const schema of new Set([placement.schema, where.schema])) await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    return Ledger.create(db, qualifiedName);
  }

  private static async create(db: Database, qualifiedName: string): Promise<Ledger> {
    await db.query(`CREATE TABLE IF NOT EXISTS ${qualifiedName} (
      version bigint PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL DEFAULT 0,
      astra_version text NOT NULL,
      dirty boolean NOT NULL DEFAULT false,
      next_statement integer,
      failed_statement text,
      error text,
      adopted_from text
    )`);
    return new Ledger(db, qualifiedName, true);
  }

  async rows(): Promise<LedgerRow[]> {
    if (!this.exists) return [];
    // A ledger shared by several databases of a project (one table, version ranges apart) holds rows of the others.
    const range = this.db.target.placement?.versions;
    const { rows } = range
      ? await this.db.query<RawRow>(`SELECT * FROM ${this.qualifiedName} WHERE version BETWEEN $1 AND $2 ORDER BY version`, [range.from, range.to])
      : await this.db.query<RawRow>(`SELECT * FROM ${this.qualifiedName} ORDER BY version`);
    return rows.map((row) => ({
      version: fromLedgerKey(row.version),
      name: row.name,
      checksum: row.checksum,
      appliedAt: row.applied_at,
      durationMs: row.duration_ms,
      astraVersion: row.astra_version,
      dirty: row.dirty,
      nextStatement: row.next_statement,
      failedStatement: row.failed_statement,
      error: row.error,
    }));
  }

  /**
   * Records a migration as applied. `before`, SQL without parameters run just
   * ahead of the write, goes with it in one round trip (the values are then
   * written as literals: a simple query takes no parameters).
   */
  async recordApplied(entry: { version: MigrationVersion; name: string; checksum: string; durationMs: number }, before?: string): Promise<void> {
    if (before !== undefined) {
      await this.db.query(`${before}; ${await this.appliedSql(entry)}`);
      return;
    }
    await this.holdVersion(entry.version);
    await this.db.query(
      `INSERT INTO ${this.qualifiedName} (version, name, checksum, duration_ms, astra_version, dirty)
       VALUES ($1, $2, $3, $4, $5, false)
       ON CONFLICT (version) DO UPDATE SET ${APPLIED_UPDATE}`,
      [ledgerKey(entry.version), entry.name, entry.checksum, Math.round(entry.durationMs), astraVersion],
    );
  }

  /**
   * The statement that records a migration as applied, its values written
   * as literals, for a caller that sends it with other statements in one
   * round trip (a simple query takes no parameters). Without `durationMs`,
   * the server measures it: from the start of the transaction (its BEGIN) to
   * this write.
   */
  async appliedSql(entry: { version: MigrationVersion; name: string; checksum: string; durationMs?: number }): Promise<string> {
    await this.holdVersion(entry.version);
    // A dotted version's key is a decimal: written as a literal it is still compared as the number it is.
    const literals = [ledgerKey(entry.version), entry.name, entry.checksum, entry.durationMs, astraVersion]
      .map((value) =>
        value === undefined
          ? 'round(extract(epoch FROM clock_timestamp() - transaction_timestamp()) * 1000)::integer'
          : typeof value === 'number'
            ? String(Math.round(value))
            : quoteLiteral(value),
      )
      .join(', ');
    return `INSERT INTO ${this.qualifiedName} (version, name, checksum, duration_ms, astra_version, dirty)
       VALUES (${literals}, false)
       ON CONFLICT (version) DO UPDATE SET ${APPLIED_UPDATE}`;
  }

  /** Records a migration as started and unfinished, before a statement that runs outside a transaction. */
  async recordStarted(entry: { version: MigrationVersion; name: string; checksum: string }, nextStatement: number): Promise<void> {
    await this.holdVersion(entry.version);
    await this.db.query(
      `INSERT INTO ${this.qualifiedName} (version, name, checksum, astra_version, dirty, next_statement)
       VALUES ($1, $2, $3, $4, true, $5)
       ON CONFLICT (version) DO UPDATE SET dirty = true, next_statement = EXCLUDED.next_statement, failed_statement = NULL, error = NULL`,
      [ledgerKey(entry.version), entry.name, entry.checksum, astraVersion, nextStatement],
    );
  }

  async recordProgress(version: MigrationVersion, nextStatement: number): Promise<void> {
    await this.db.query(`UPDATE ${this.qualifiedName} SET next_statement = $2 WHERE version = $1`, [ledgerKey(version), nextStatement]);
  }

  async recordFailure(version: MigrationVersion, failure: { nextStatement: number | null; statement: string; error: string }): Promise<void> {
    await this.db.query(`UPDATE ${this.qualifiedName} SET dirty = true, next_statement = $2, failed_statement = $3, error = $4 WHERE version = $1`, [
      ledgerKey(version),
      failure.nextStatement,
      failure.statement,
      failure.error,
    ]);
  }

  /**
   * Records migrations that another tool applied (astra adopt), each marked
   * with that tool's name in `adopted_from`, with the time the tool recorded
   * when it recorded one. Call in a transaction.
   */
  async recordAdopted(entries: { version: MigrationVersion; name: string; checksum: string; appliedAt: Date | undefined }[], tool: string): Promise<void> {
    // A ledger created by an astra older than adoption lacks the column.
    await this.db.query(`ALTER TABLE ${this.qualifiedName} ADD COLUMN IF NOT EXISTS adopted_from text`);
    for (const entry of entries) {
      await this.holdVersion(entry.version);
      await this.db.query(
        `INSERT INTO ${this.qualifiedName} (version, name, checksum, applied_at, duration_ms, astra_version, dirty, adopted_from)
         VALUES ($1, $2, $3, coalesce($4, now()), 0, $5, false, $6)`,
        [ledgerKey(entry.version), entry.name, entry.checksum, entry.appliedAt ?? null, astraVersion, tool],
      );
    }
  }

  /**
   * A write that changes nothing (the row of `version` rewritten as it is),
   * as SQL to send with other statements: a commit waits for the disk only
   * when its transaction wrote to the WAL, and this one does.
   */
  rewriteSql(version: MigrationVersion): string {
    const key = ledgerKey(version);
    return `UPDATE ${this.qualifiedName} SET dirty = dirty WHERE version = ${typeof key === 'number' ? String(key) : quoteLiteral(key)}`;
  }

  async remove(version: MigrationVersion): Promise<void> {
    await this.db.query(`DELETE FROM ${this.qualifiedName} WHERE version = $1`, [ledgerKey(version)]);
  }

  /**
   * Makes the version column able to hold every one of `versions`: a ledger
   * is created with a bigint column, which holds every whole number; the
   * first dotted version (Flyway's 1.1) turns it into numeric, the same
   * numbers and the decimals ledgerKey writes. The runner calls it before the
   * first migration, in a transaction of its own as the role that logged in
   * (a migration's SET ROLE must not decide who may alter the ledger); the
   * writes below call it too, for adopt and force.
   */
  async holdVersions(versions: readonly MigrationVersion[]): Promise<void> {
    for (const version of versions) await this.holdVersion(version);
  }

  private async holdVersion(version: MigrationVersion): Promise<void> {
    if (typeof version === 'number' || this.holdsDotted) return;
    const { rows } = await this.db.query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'version'`,
      [this.qualifiedName],
    );
    if (rows[0]?.type !== 'numeric') await this.db.query(`ALTER TABLE ${this.qualifiedName} ALTER COLUMN version TYPE numeric`);
    this.holdsDotted = true;
  }

  private holdsDotted = false;

  /** `force`: forget versions above `version` and clear every dirty flag (of this database's range, in a shared ledger). */
  async forceTo(version: MigrationVersion, known: { version: MigrationVersion; name: string; checksum: string }[]): Promise<void> {
    const range = this.db.target.placement?.versions ?? { from: 0, to: Number.MAX_SAFE_INTEGER };
    await this.holdVersion(version);
    await this.db.query(`DELETE FROM ${this.qualifiedName} WHERE version > $1 AND version <= $2`, [ledgerKey(version), range.to]);
    await this.db.query(
      `UPDATE ${this.qualifiedName} SET dirty = false, next_statement = NULL, failed_statement = NULL, error = NULL WHERE dirty AND version BETWEEN $1 AND $2`,
      [range.from, range.to],
    );
    for (const migration of known) {
      if (compareVersions(migration.version, version) > 0) continue;
      await this.holdVersion(migration.version);
      await this.db.query(
        `INSERT INTO ${this.qualifiedName} (version, name, checksum, duration_ms, astra_version, dirty)
         VALUES ($1, $2, $3, 0, $4, false) ON CONFLICT (version) DO NOTHING`,
        [ledgerKey(migration.version), migration.name, migration.checksum, astraVersion],
      );
    }
  }
}
