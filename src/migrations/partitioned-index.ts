import { createHash } from 'node:crypto';
import { parser } from '../sql-parser.js';
import { quoteIdent } from '../db/quote.js';
import type { Statement } from './parse.js';

/**
 * Building an index on a partitioned table without blocking writes.
 * PostgreSQL cannot build one CONCURRENTLY: a plain CREATE INDEX on the
 * parent builds every partition's index while holding SHARE on each, which
 * blocks writes for the whole build. The runner does what the PostgreSQL
 * manual describes instead: the parent's index ON ONLY the parent (empty,
 * invalid until every partition has its own), each partition's index
 * CONCURRENTLY, then ALTER INDEX ... ATTACH PARTITION for each; once all are
 * attached the parent's index is valid. Every step checks what is there
 * first, so a run cut off part way is finished by running it again.
 */

/** The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The name of a partition's index: the parent index's name with the parent
 * table's name replaced by the partition's (events_at_idx on events_2026 →
 * events_2026_at_idx, as PostgreSQL itself names them), or the partition's
 * name in front. A name too long for PostgreSQL is cut and given a hash of
 * the whole, so that two partitions never get the same one.
 */
export function partitionIndexName(parentIndex: string, parentTable: string, partition: string): string {
  const name = parentIndex.startsWith(`${parentTable}_`) ? `${partition}_${parentIndex.slice(parentTable.length + 1)}` : `${partition}_${parentIndex}`;
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_IDENTIFIER_BYTES - 9) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}

/**
 * The CREATE INDEX of `statement` (an IndexStmt, as the file wrote it) under
 * another name, on another table: ON ONLY for a partitioned table's own
 * index, CONCURRENTLY for a partition's. What follows the table name (USING,
 * the columns, INCLUDE, WITH, TABLESPACE, WHERE) is kept as written. IF NOT
 * EXISTS is left out: the runner checks what exists itself.
 */
export function indexStatementFor(statement: Statement, target: { index: string; table: string; only?: boolean; concurrently?: boolean }): string {
  const sql = statement.writtenAs ?? statement.text;
  const bytes = Buffer.from(sql, 'utf8');
  const tokens = parser().scanSync(sql).tokens;
  let depth = 0;
  let onAt = -1;
  for (const [index, token] of tokens.entries()) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.text.toUpperCase() === 'ON' && token.keywordName !== 'NO_KEYWORD') {
      onAt = index;
      break;
    }
  }
  if (onAt < 0) throw new Error(`No ON in the index statement: ${sql}`);
  let after = onAt + 1;
  if (tokens[after]?.text.toUpperCase() === 'ONLY') after++;
  // The table's name runs up to USING or the column list.
  while (after < tokens.length && tokens[after]!.text !== '(' && tokens[after]!.text.toUpperCase() !== 'USING') after++;
  const rest = after < tokens.length ? bytes.subarray(tokens[after]!.start).toString('utf8') : '';
  const unique = statement.node.unique === true ? 'UNIQUE ' : '';
  return `CREATE ${unique}INDEX ${target.concurrently ? 'CONCURRENTLY ' : ''}${quoteIdent(target.index)} ON ${target.only ? 'ONLY ' : ''}${target.table} ${rest}`;
}

/** `name` with the number `n` at its end, cut to fit PostgreSQL's 63 bytes: events_2026_at_idx1. */
export function numberedName(name: string, n: number): string {
  let cut = name;
  while (Buffer.byteLength(`${cut}${n}`) > MAX_IDENTIFIER_BYTES) cut = cut.slice(0, -1);
  return `${cut}${n}`;
}

/** Whether an index statement writes ON ONLY (libpg-query leaves the RangeVar's `inh` out when it is false). */
export function writtenOnOnly(node: Record<string, unknown>): boolean {
  return (node.relation as { inh?: boolean } | undefined)?.inh !== true;
}
