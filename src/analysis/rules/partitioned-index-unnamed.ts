import type { Rule } from '../types.js';
import { concurrentBuild } from './partitioned-index.js';

/**
 * An index on a table known to be partitioned that astra cannot build
 * partition by partition: unnamed (it needs the name to attach the
 * partitions' indexes to), or with a foreign table among the partitions. It
 * runs as written and blocks writes for the whole build, or, written
 * CONCURRENTLY, fails.
 */
export const partitionedIndexUnnamed: Rule = {
  id: 'partitioned-index-unnamed',
  title: 'Index on a partitioned table that cannot be built partition by partition',
  run(context) {
    const build = concurrentBuild(context);
    if (!build || (build.index && !build.foreign) || build.partitions === undefined) return [];
    const { table, foreign } = build;
    const rewritten = context.statement.writtenAs !== undefined;
    if (foreign) {
      return [
        {
          table,
          verdict: 'breaking',
          ...(rewritten ? { lock: 'SHARE' as const, statement: context.statement.writtenAs! } : {}),
          message: `${foreign}, a partition of ${table}, is a foreign table, on which no index can be built: astra cannot build this one partition by partition, so it ${rewritten ? 'runs as written, holding a SHARE lock on' : 'cannot run CONCURRENTLY (PostgreSQL refuses it on a partitioned table), and as written holds a SHARE lock on'} ${table} and every partition while it reads every row: every INSERT, UPDATE and DELETE on ${table} waits until the build ends.`,
          fix: `Build the index on each local partition of ${table} with CREATE INDEX CONCURRENTLY, one migration each, or build it while the application is stopped and mark the migration breaking.`,
        },
      ];
    }
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
