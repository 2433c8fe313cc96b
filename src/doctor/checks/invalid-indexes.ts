import { quoteIdent } from '../../db/quote.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

export interface InvalidIndex {
  schema: string;
  name: string;
  table: string;
  /** A CREATE INDEX CONCURRENTLY is building it right now. */
  building: boolean;
}

const qualified = (index: InvalidIndex) => `${quoteIdent(index.schema)}.${quoteIdent(index.name)}`;

/** Decides on the INVALID indexes of the database. */
export function judgeInvalidIndexes(indexes: InvalidIndex[]): CheckOutcome {
  const broken = indexes.filter((index) => !index.building);
  const building = indexes.filter((index) => index.building);
  const buildingNote = building.length > 0 ? `; being built now: ${building.map((index) => `${index.schema}.${index.name}`).join(', ')}` : '';
  if (broken.length > 0) {
    return {
      status: 'fail',
      detail: `INVALID ${broken.length === 1 ? 'index' : 'indexes'} left by a failed concurrent build: ${broken.map((index) => `${index.schema}.${index.name} on ${index.table}`).join(', ')}. PostgreSQL keeps updating ${broken.length === 1 ? 'it' : 'them'} on every write but never uses ${broken.length === 1 ? 'it' : 'them'}${buildingNote}`,
      fix: `${broken.map((index) => `DROP INDEX CONCURRENTLY ${qualified(index)};`).join(' ')} Then re-run the build: astra migrate up (or the CREATE INDEX CONCURRENTLY statement), after fixing what made it fail (duplicate keys for a unique index).`,
    };
  }
  if (building.length > 0) {
    return {
      status: 'warn',
      detail: `${building.length === 1 ? 'an index is' : 'indexes are'} being built concurrently and not usable yet: ${building.map((index) => `${index.schema}.${index.name} on ${index.table}`).join(', ')}`,
      fix: 'Let the build finish (pg_stat_progress_create_index shows how far it is) before upgrading.',
    };
  }
  return { status: 'ok', detail: 'no INVALID indexes' };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<InvalidIndex>(
    `SELECT n.nspname AS schema, ic.relname AS name, tn.nspname || '.' || tc.relname AS table,
            EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid) AS building
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY n.nspname, ic.relname`,
  );
  return judgeInvalidIndexes(rows);
}

export const invalidIndexes: DoctorCheck = {
  id: 'invalid-indexes',
  title: 'Invalid indexes',
  area: 'schema',
  connection: 'needs',
  run,
};
