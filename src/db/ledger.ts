import { astraVersion } from '../version.js';
import type { Database } from './database.js';
import { quoteIdent } from './quote.js';

/** Name of astra's ledger table, in the schema first on the search path. */
export const LEDGER_TABLE = 'astra_migrations';

/** What the ledger records of one migration. */
export interface LedgerRow {
  version: number;
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

/**
 * astra's record of applied migrations. Every write that marks a migration
 * applied happens in the transaction that applied it.
 */
export class Ledger {
  private constructor(
    private readonly db: Database,
    private readonly qualifiedName: string,
    readonly exists: boolean,
  ) {}

  /** Finds the ledger of `db`; with `create`, creates it when missing. */
  static async open(db: Database, options: { create: boolean }): Promise<Ledger> {
    const { rows } = await db.query<{ schema: string | null; found: string | null }>('SELECT current_schema() AS schema, to_regclass($1)::text AS found', [
      LEDGER_TABLE,
    ]);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('the search path names no schema that exists, so astra has nowhere to keep its ledger');
    const qualifiedName = `${quoteIdent(schema)}.${quoteIdent(LEDGER_TABLE)}`;
    // regclass prints the name as SQL, quoted where needed.
    if (rows[0]?.found) return new Ledger(db, rows[0].found, true);
    if (!options.create) return new Ledger(db, qualifiedName, false);
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
      error text
    )`);
    return new Ledger(db, qualifiedName, true);
  }

  async rows(): Promise<LedgerRow[]> {
    if (!this.exists) return [];
    const { rows } = await this.db.query<RawRow>(`SELECT * FROM ${this.qualifiedName} ORDER BY version`);
    return rows.map((row) => ({
      version: Number(row.version),
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

  /** Records a finished migration (or replaces an unfinished record of it). */
  async recordApplied(entry: { version: number; name: string; checksum: string; durationMs: number }): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.qualifiedName} (version, name, checksum, duration_ms, astra_version, dirty)
       VALUES ($1, $2, $3, $4, $5, false)
       ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = now(),
         duration_ms = EXCLUDED.duration_ms, astra_version = EXCLUDED.astra_version, dirty = false,
         next_statement = NULL, failed_statement = NULL, error = NULL`,
      [entry.version, entry.name, entry.checksum, Math.round(entry.durationMs), astraVersion],
    );
  }

  /** Records a migration as started and unfinished, before a statement that runs outside a transaction. */
  async recordStarted(entry: { version: number; name: string; checksum: string }, nextStatement: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.qualifiedName} (version, name, checksum, astra_version, dirty, next_statement)
       VALUES ($1, $2, $3, $4, true, $5)
       ON CONFLICT (version) DO UPDATE SET dirty = true, next_statement = EXCLUDED.next_statement, failed_statement = NULL, error = NULL`,
      [entry.version, entry.name, entry.checksum, astraVersion, nextStatement],
    );
  }

  async recordProgress(version: number, nextStatement: number): Promise<void> {
    await this.db.query(`UPDATE ${this.qualifiedName} SET next_statement = $2 WHERE version = $1`, [version, nextStatement]);
  }

  async recordFailure(version: number, failure: { nextStatement: number | null; statement: string; error: string }): Promise<void> {
    await this.db.query(`UPDATE ${this.qualifiedName} SET dirty = true, next_statement = $2, failed_statement = $3, error = $4 WHERE version = $1`, [
      version,
      failure.nextStatement,
      failure.statement,
      failure.error,
    ]);
  }

  async remove(version: number): Promise<void> {
    await this.db.query(`DELETE FROM ${this.qualifiedName} WHERE version = $1`, [version]);
  }

  /** `force`: forget versions above `version` and clear every dirty flag. */
  async forceTo(version: number, known: { version: number; name: string; checksum: string }[]): Promise<void> {
    await this.db.query(`DELETE FROM ${this.qualifiedName} WHERE version > $1`, [version]);
    await this.db.query(`UPDATE ${this.qualifiedName} SET dirty = false, next_statement = NULL, failed_statement = NULL, error = NULL WHERE dirty`);
    for (const migration of known) {
      if (migration.version > version) continue;
      await this.db.query(
        `INSERT INTO ${this.qualifiedName} (version, name, checksum, duration_ms, astra_version, dirty)
         VALUES ($1, $2, $3, 0, $4, false) ON CONFLICT (version) DO NOTHING`,
        [migration.version, migration.name, migration.checksum, astraVersion],
      );
    }
  }
}
