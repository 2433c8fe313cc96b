import { astraVersion } from '../version.js';
import { clickhouseString, quoteClickhouse, type Clickhouse } from './connection.js';

/**
 * astra's ledger in a ClickHouse database. ClickHouse has no transactions and
 * no in-place update, so the ledger is append-only: every change of a
 * migration's state is a new row, and the row with the highest `seq` says
 * where the migration stands (ReplacingMergeTree keeps that one when parts
 * merge; reads take argMax by seq and never depend on merges).
 *
 * States: `running` (statements 1..done completed, the rest not yet),
 * `failed` (statement done+1 failed, with the error), `applied`, and
 * `reverted` (undone by its .down.sql; as if never applied).
 */
export const CLICKHOUSE_LEDGER_TABLE = 'astra_migrations';

export type ClickhouseState = 'running' | 'failed' | 'applied' | 'reverted';

export interface ClickhouseLedgerRow {
  version: number;
  name: string;
  /** Of the whole file, as applied (or being applied). */
  checksum: string;
  statements: number;
  /** Statements completed, in order. */
  done: number;
  /** Of the completed statements' text: they are not run again, so they may not change. */
  doneChecksum: string;
  state: ClickhouseState;
  error: string;
  appliedAt: string;
  astraVersion: string;
}

/**
 * The order of the ledger's rows: microseconds since the epoch, and always
 * after the highest `seq` the ledger holds (read under the run lock before
 * any write), so that a machine whose clock is behind still writes rows that
 * count as newer.
 */
let lastSeq = 0n;
function nextSeq(): string {
  const now = BigInt(Date.now()) * 1000n;
  lastSeq = now > lastSeq ? now : lastSeq + 1n;
  return lastSeq.toString();
}
function seenSeq(seq: bigint): void {
  if (seq > lastSeq) lastSeq = seq;
}

/** `2026-11-28 00:28:40`, as a DateTime('UTC') column takes it. */
export function clickhouseTime(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export class ClickhouseLedger {
  readonly table: string;

  constructor(
    private readonly db: Clickhouse,
    table = CLICKHOUSE_LEDGER_TABLE,
  ) {
    this.table = table;
  }

  async exists(): Promise<boolean> {
    const rows = await this.db.rows<{ n: string | number }>(
      `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = ${clickhouseString(this.table)}`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async ensure(): Promise<void> {
    await this.db.command(
      `CREATE TABLE IF NOT EXISTS ${quoteClickhouse(this.table)} (
         version UInt64, name String, checksum String, statements UInt32, done UInt32, done_checksum String,
         state String, error String, applied_at DateTime('UTC'), astra_version String, seq UInt64
       ) ENGINE = ReplacingMergeTree(seq) ORDER BY version`,
    );
  }

  /** Where each migration stands (its latest row), reverted ones left out, by version. */
  async rows(): Promise<ClickhouseLedgerRow[]> {
    if (!(await this.exists())) return [];
    const found = await this.db.rows<{
      version: string;
      name: string;
      checksum: string;
      statements: number;
      done: number;
      done_checksum: string;
      state: ClickhouseState;
      error: string;
      applied_at: string;
      astra_version: string;
    }>(
      `SELECT version, argMax(name, seq) AS name, argMax(checksum, seq) AS checksum, argMax(statements, seq) AS statements,
              argMax(done, seq) AS done, argMax(done_checksum, seq) AS done_checksum, argMax(state, seq) AS state,
              argMax(error, seq) AS error, toString(argMax(applied_at, seq)) AS applied_at, argMax(astra_version, seq) AS astra_version
         FROM ${quoteClickhouse(this.table)} GROUP BY version ORDER BY version`,
    );
    const [top] = await this.db.rows<{ top: string }>(`SELECT toString(max(seq)) AS top FROM ${quoteClickhouse(this.table)}`);
    seenSeq(BigInt(top?.top ?? '0'));
    return found
      .map((row) => ({
        version: Number(row.version),
        name: row.name,
        checksum: row.checksum,
        statements: Number(row.statements),
        done: Number(row.done),
        doneChecksum: row.done_checksum,
        state: row.state,
        error: row.error,
        appliedAt: row.applied_at,
        astraVersion: row.astra_version,
      }))
      .filter((row) => row.state !== 'reverted');
  }

  /** Records where a migration stands now. */
  async record(row: Omit<ClickhouseLedgerRow, 'appliedAt' | 'astraVersion'>): Promise<void> {
    await this.db.insert(this.table, [
      {
        version: row.version,
        name: row.name,
        checksum: row.checksum,
        statements: row.statements,
        done: row.done,
        done_checksum: row.doneChecksum,
        state: row.state,
        error: row.error.slice(0, 2000),
        applied_at: clickhouseTime(),
        astra_version: astraVersion,
        seq: nextSeq(),
      },
    ]);
  }
}
