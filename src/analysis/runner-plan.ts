import { quoteIdent } from '../db/quote.js';
import type { Statement } from '../migrations/parse.js';
import { indexStatementFor, partitionIndexName, writtenOnOnly } from '../migrations/partitioned-index.js';
import type { ConcurrencyDecision } from './concurrency.js';
import type { SchemaModel } from './schema.js';
import { objectName } from './objects.js';
import { list, relationName } from './tree.js';

/**
 * A statement that astra's runner does not run as the file writes it, or not
 * where the file puts it: what it runs instead, in order, and where. lint
 * shows these with or without a finding, so that what it prints is what runs.
 */
export interface RunnerChange {
  /** Line of the statement in the file. */
  line: number;
  /** The statement as the file writes it. */
  written: string;
  /** What the runner sends instead, in order. */
  runs: string[];
  where: string;
}

const AFTER_OTHERS = "outside the transaction, after the migration's other statements";

/** `schema.name` of a lint table key (public tables are keyed by name alone). */
function parts(key: string): { schema: string; name: string } {
  const dot = key.indexOf('.');
  return dot < 0 ? { schema: 'public', name: key } : { schema: key.slice(0, dot), name: key.slice(dot + 1) };
}

const asWritten = (why: string) => `after the migration's other statements, as written, in a transaction of its own (${why})`;

/** The partitioned table a moved DROP INDEX works on, when lint knows it is one. (REINDEX CONCURRENTLY works on one.) */
function partitionedTarget(statement: Statement, schema: SchemaModel, isNew: (table: string) => boolean): string | undefined {
  const { kind, node } = statement;
  if (kind !== 'DropStmt' || node.removeType !== 'OBJECT_INDEX') return undefined;
  const table = schema.indexTable(objectName(list(node.objects)[0]) ?? '');
  return table && !isNew(table) && schema.table(table)?.partitions !== undefined ? table : undefined;
}

const sql = (key: string) => {
  const { schema, name } = parts(key);
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
};

/**
 * What the runner does with `statement` (as it will run, after the
 * concurrency plan), given the schema as the statements before it leave it;
 * undefined when it runs as written, where written.
 */
export function runnerChange(
  statement: Statement,
  decision: ConcurrencyDecision | undefined,
  schema: SchemaModel,
  isNew: (table: string) => boolean,
): RunnerChange | undefined {
  // Rewritten by the concurrency plan (here, or when the migrations were loaded): moved after the others.
  const moved = decision?.moved === true || statement.writtenAs !== undefined;
  const written = decision?.statement.text ?? statement.writtenAs ?? statement.text;
  const { node } = statement;
  const partitioned = moved && statement.kind !== 'IndexStmt' ? partitionedTarget(statement, schema, isNew) : undefined;
  if (partitioned && statement.writtenAs) {
    // PostgreSQL cannot drop a partitioned index CONCURRENTLY.
    return { line: statement.line, written, runs: [statement.writtenAs], where: asWritten(`${partitioned} is partitioned`) };
  }
  if (statement.kind === 'IndexStmt' && node.concurrent === true && statement.outsideTransaction !== undefined) {
    const table = relationName(node.relation);
    // Partitions known only from an ATTACH PARTITION may not be all of them: no list then.
    const facts = table && !isNew(table) ? schema.table(table) : undefined;
    const partitions = facts?.defined === true ? facts.partitions : undefined;
    const foreign = table ? schema.descendants(table).find((partition) => schema.table(partition)?.foreign) : undefined;
    if (table && partitions && foreign && statement.writtenAs) {
      return { line: statement.line, written, runs: [statement.writtenAs], where: asWritten(`${foreign}, a partition of ${table}, is a foreign table`) };
    }
    if (table && partitions) {
      const index = node.idxname;
      // ON ONLY as the file writes it (its author builds the partitions' indexes) is run as written too.
      const only = writtenOnOnly(node);
      if (typeof index !== 'string' || only) {
        // Unnamed: run as the file wrote it (written CONCURRENTLY, PostgreSQL refuses it: partitioned-index-unnamed says so).
        return statement.writtenAs
          ? {
              line: statement.line,
              written,
              runs: [statement.writtenAs],
              where: asWritten(
                only ? 'ON ONLY: the index of the partitioned table alone' : 'an unnamed index on a partitioned table cannot be built partition by partition',
              ),
            }
          : undefined;
      }
      const runs: string[] = [];
      // As the runner does: the index ON ONLY the table, each partition's (a partitioned one's built the same way), each attached.
      const build = (of: string, name: string, below: string[]) => {
        const parent = parts(of);
        runs.push(indexStatementFor(statement, { index: name, table: sql(of), only: true }));
        for (const partition of [...below].sort((a, b) => (parts(a).name < parts(b).name ? -1 : 1))) {
          const child = parts(partition);
          const childIndex = partitionIndexName(name, parent.name, child.name);
          const subPartitions = schema.table(partition)?.partitions;
          if (subPartitions) build(partition, childIndex, subPartitions);
          else runs.push(indexStatementFor(statement, { index: childIndex, table: sql(partition), concurrently: true }));
          runs.push(`ALTER INDEX ${quoteIdent(parent.schema)}.${quoteIdent(name)} ATTACH PARTITION ${quoteIdent(child.schema)}.${quoteIdent(childIndex)}`);
        }
      };
      build(table, index, partitions);
      return {
        line: statement.line,
        written,
        runs,
        where: `${moved ? AFTER_OTHERS : 'outside the transaction'}, partition by partition (${table} is partitioned)`,
      };
    }
  }
  return moved ? { line: statement.line, written, runs: [statement.text], where: AFTER_OTHERS } : undefined;
}
