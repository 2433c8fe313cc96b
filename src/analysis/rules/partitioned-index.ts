import { partitionIndexName, writtenOnOnly } from '../../migrations/partitioned-index.js';
import { relationName } from '../tree.js';
import type { Rule, RuleContext } from '../types.js';

/**
 * The index build of `context` that runs CONCURRENTLY (as written, or as
 * astra's runner rewrites it) on a table that exists before the migration:
 * the table and the index's name (undefined when the statement names none).
 */
export function concurrentBuild(
  context: RuleContext,
): { table: string; index: string | undefined; partitions: string[] | undefined; known: boolean; foreign: string | undefined } | undefined {
  const { kind, node } = context.statement;
  if (kind !== 'IndexStmt' || node.concurrent !== true || context.inDoBlock) return undefined;
  const table = relationName(node.relation);
  if (!table || context.isNew(table)) return undefined;
  // ON ONLY: the partitioned table's own index, made at once, run as written.
  if (writtenOnOnly(node)) return undefined;
  const facts = context.schema.table(table);
  return {
    table,
    index: typeof node.idxname === 'string' ? node.idxname : undefined,
    partitions: facts?.partitions,
    known: facts?.defined === true || facts?.partitions !== undefined,
    // No index can be built on a foreign table: with one among the partitions astra runs the statement as written.
    foreign: context.schema.descendants(table).find((partition) => context.schema.table(partition)?.foreign),
  };
}

const PLAN = (table: string, index: string) =>
  `astra builds ${index} ON ONLY ${table} (invalid at first; a moment of SHARE lock on ${table}), then each partition's index CONCURRENTLY, then attaches each to ${index}, which becomes valid: writes go on during the builds`;

/** A table's name without its schema. */
const bare = (name: string) => name.slice(name.lastIndexOf('.') + 1);

/**
 * A CONCURRENTLY index build on a partitioned table, or on a table lint cannot
 * tell is partitioned: PostgreSQL cannot build such an index CONCURRENTLY,
 * and astra's runner builds it partition by partition. Says what runs.
 */
export const partitionedIndex: Rule = {
  id: 'partitioned-index',
  title: 'Index on a partitioned table: built partition by partition',
  advice: true,
  run(context) {
    const build = concurrentBuild(context);
    if (!build) return [];
    const { table, index, partitions, known } = build;
    if (known && partitions === undefined) return [];
    if (!known) {
      return [
        {
          table,
          verdict: 'safe',
          message: index
            ? `Depends on the table: if ${table} is partitioned, PostgreSQL cannot build ${index} CONCURRENTLY and ${PLAN(table, index)}; if it is a plain table, the build runs CONCURRENTLY as shown.`
            : `Depends on the table: if ${table} is partitioned, PostgreSQL cannot build this unnamed index CONCURRENTLY and astra runs it as written, holding a SHARE lock on ${table} and every partition: writes wait for the whole build.`,
          fix: index
            ? `Nothing to change. To know which, run lint with the database (DATABASE_URL or --with-database).`
            : `Name the index (CREATE INDEX <name> ON ${table} ...): on a partitioned table astra then builds it partition by partition without blocking writes. Or run lint with the database to know whether ${table} is partitioned.`,
        },
      ];
    }
    if (!index || build.foreign) return []; // partitioned-index-unnamed reports it
    const listed = partitions!.map((partition) => `${partition} (${partitionIndexName(index, bare(table), bare(partition))})`).join(', ');
    // Known only from an ATTACH PARTITION, the table may have partitions lint never saw.
    const complete = context.schema.table(table)?.defined === true;
    const steps =
      partitions!.length === 0 ? '' : complete ? ` Partitions: ${listed}.` : ` Partitions known to lint: ${listed}; any others are built the same way.`;
    return [
      {
        table,
        verdict: 'safe',
        message: `${table} is partitioned: PostgreSQL cannot build ${index} CONCURRENTLY, so ${PLAN(table, index)}.${steps}`,
        fix: 'Nothing to change: this is how astra builds an index on a partitioned table without blocking writes. A run cut off part way finishes the build the next time.',
      },
    ];
  },
};
