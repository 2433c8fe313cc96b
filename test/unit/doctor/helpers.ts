import type { LedgerRow } from '../../../src/db/ledger.js';
import type { Migration } from '../../../src/migrations/load.js';
import { sha256 } from '../../../src/migrations/load.js';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';

/** A migration as loadMigrations returns it, from SQL text. */
export async function migration(version: number, file: string, sql: string): Promise<Migration> {
  await loadParser();
  return {
    version,
    name: file.replace(/^\d+[-_]/, '').replace(/\.(up\.)?sql$/, ''),
    file,
    digits: String(version),
    style: 'dash',
    path: `/m/${file}`,
    sql,
    checksum: sha256(sql),
    statements: parseStatements(sql, file),
  };
}

/** A ledger row recording `applied` as applied (or as given). */
export function ledgerRow(applied: Pick<Migration, 'version' | 'name' | 'checksum'>, extra: Partial<LedgerRow> = {}): LedgerRow {
  return {
    version: applied.version,
    name: applied.name,
    checksum: applied.checksum,
    appliedAt: new Date(0),
    durationMs: 1,
    astraVersion: '0.0.0',
    dirty: false,
    nextStatement: null,
    failedStatement: null,
    error: null,
    ...extra,
  };
}
