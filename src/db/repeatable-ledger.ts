import { astraVersion } from '../version.js';
import type { Database } from './database.js';
import type { Ledger } from './ledger.js';
import { quoteLiteral } from './quote.js';

/** What astra recorded of a repeatable migration (Flyway's R__): the checksum of the file as last applied. */
export interface RepeatableRow {
  name: string;
  file: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  /** The tool that applied it, when astra adopted it rather than applied it. */
  adoptedFrom: string | null;
}

/**
 * The record of repeatable migrations, a table beside astra's ledger named
 * after it (`astra_migrations_repeatable`): one row per repeatable migration,
 * keyed by its description, holding the checksum it was last applied with.
 * A repeatable migration runs again whenever its file's checksum differs.
 * Created with the first repeatable migration recorded.
 */
export class RepeatableLedger {
  private constructor(
    private readonly db: Database,
    private readonly qualifiedName: string | undefined,
    private readonly exists: boolean,
  ) {}

  static async open(db: Database, ledger: Ledger): Promise<RepeatableLedger> {
    if (!ledger.exists) return new RepeatableLedger(db, undefined, false);
    const { rows } = await db.query<{ name: string; found: string | null }>(
      `SELECT format('%I.%I', n.nspname, c.relname || '_repeatable') AS name,
              to_regclass(format('%I.%I', n.nspname, c.relname || '_repeatable'))::text AS found
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = $1::regclass`,
      [ledger.qualifiedName],
    );
    const row = rows[0];
    return new RepeatableLedger(db, row?.name, row?.found !== null && row?.found !== undefined);
  }

  /** Of `files`, those new or changed since last applied: their checksum differs from the one recorded (or none is). */
  async changed<File extends { name: string; checksum: string }>(files: File[]): Promise<File[]> {
    if (files.length === 0) return [];
    const recorded = new Map((await this.rows()).map((row) => [row.name, row.checksum]));
    return files.filter((file) => recorded.get(file.name) !== file.checksum);
  }

  async rows(): Promise<RepeatableRow[]> {
    if (!this.exists || !this.qualifiedName) return [];
    const { rows } = await this.db.query<{ name: string; file: string; checksum: string; applied_at: Date; duration_ms: number; adopted_from: string | null }>(
      `SELECT name, file, checksum, applied_at, duration_ms, adopted_from FROM ${this.qualifiedName} ORDER BY name`,
    );
    return rows.map((row) => ({
      name: row.name,
      file: row.file,
      checksum: row.checksum,
      appliedAt: row.applied_at,
      durationMs: row.duration_ms,
      adoptedFrom: row.adopted_from,
    }));
  }

  /**
   * Records a repeatable migration as applied with `checksum`. `before`, SQL
   * run just ahead of the write, goes with it in one round trip.
   */
  async recordApplied(
    entry: { name: string; file: string; checksum: string; durationMs: number; adoptedFrom?: string; appliedAt?: Date },
    before?: string,
  ): Promise<void> {
    if (!this.qualifiedName) throw new Error("astra's ledger must exist before a repeatable migration is recorded");
    const values = [
      quoteLiteral(entry.name),
      quoteLiteral(entry.file),
      quoteLiteral(entry.checksum),
      entry.appliedAt ? `${quoteLiteral(entry.appliedAt.toISOString())}::timestamptz` : 'now()',
      String(Math.round(entry.durationMs)),
      quoteLiteral(astraVersion),
      entry.adoptedFrom === undefined ? 'NULL' : quoteLiteral(entry.adoptedFrom),
    ].join(', ');
    // Created by the first write, in its transaction: a failed first repeatable leaves no table behind either.
    const create = this.exists
      ? []
      : [
          `CREATE TABLE IF NOT EXISTS ${this.qualifiedName} (
             name text PRIMARY KEY,
             file text NOT NULL,
             checksum text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now(),
             duration_ms integer NOT NULL DEFAULT 0,
             astra_version text NOT NULL,
             adopted_from text
           )`,
        ];
    const write = `INSERT INTO ${this.qualifiedName} (name, file, checksum, applied_at, duration_ms, astra_version, adopted_from) VALUES (${values})
       ON CONFLICT (name) DO UPDATE SET file = EXCLUDED.file, checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at,
         duration_ms = EXCLUDED.duration_ms, astra_version = EXCLUDED.astra_version, adopted_from = EXCLUDED.adopted_from`;
    await this.db.query([...(before === undefined ? [] : [before]), ...create, write].join('; '));
  }
}
