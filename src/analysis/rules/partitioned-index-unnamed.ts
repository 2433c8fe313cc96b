import type { Rule } from '../types.js';
import { concurrentBuild } from './partitioned-index.js';

/**
 * An unnamed index on a table known to be partitioned: astra cannot build it
 * partition by partition (it needs the name to attach the partitions'
 * indexes to), so it runs as written and blocks writes for the whole build,
 * or, written CONCURRENTLY, fails.
 */
export const partitionedIndexUnnamed: Rule = {
  id: 'partitioned-index-unnamed',
  title: 'Unnamed index on a partitioned table',
  run(context) {
    const build = concurrentBuild(context);
    if (!build || build.index || build.partitions === undefined) return [];
    const { table } = build;
    const rewritten = context.statement.writtenAs !== undefined;
    return [
      {
        table,
        verdict: 'breaking',
        ...(rewritten ? { lock: 'SHARE' as const, statement: context.statement.writtenAs! } : {}),
        message: rewritten
          ? `${table} is partitioned and the index has no name: astra cannot build it partition by partition, so it runs as written, holding a SHARE lock on ${table} and every partition while it reads every row: every INSERT, UPDATE and DELETE on ${table} waits until the build ends.`
          : `${table} is partitioned: PostgreSQL refuses CREATE INDEX CONCURRENTLY on it ("cannot create index on partitioned table concurrently"), and without a name astra cannot build it partition by partition.`,
        fix: `Name the index (CREATE INDEX ${table.split('.').at(-1)}_<columns>_idx ON ${table} ...): astra then builds it ON ONLY ${table}, each partition's index CONCURRENTLY, and attaches them, without blocking writes.`,
      },
    ];
  },
};
