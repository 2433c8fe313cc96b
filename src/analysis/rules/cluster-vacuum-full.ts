import { list, nodeOf, optionNames, relationName } from '../tree.js';
import { blockingHit } from '../rule-kit.js';
import type { Rule } from '../types.js';

/** CLUSTER and VACUUM FULL: the whole table rewritten under ACCESS EXCLUSIVE. */
export const clusterVacuumFull: Rule = {
  id: 'cluster-vacuum-full',
  title: 'CLUSTER or VACUUM FULL rewrites the table under ACCESS EXCLUSIVE',
  run(context) {
    const { kind, node } = context.statement;
    const fix =
      'Leave table maintenance out of migrations: plain VACUUM (no blocking lock) is enough for most bloat; pg_repack or pg_squeeze rebuild a table online. If it must run, stop the application and mark the migration breaking.';
    if (kind === 'ClusterStmt') {
      const table = relationName(node.relation);
      return blockingHit(
        context,
        table,
        `CLUSTER rewrites ${table} in index order under an ACCESS EXCLUSIVE lock: reads and writes wait until every row is copied.`,
        fix,
      );
    }
    if (kind === 'VacuumStmt' && node.is_vacuumcmd === true && optionNames(node.options).includes('full')) {
      return list(node.rels).flatMap((item) => {
        const table = relationName(nodeOf(item, 'VacuumRelation')?.relation);
        return blockingHit(
          context,
          table,
          `VACUUM FULL rewrites ${table} under an ACCESS EXCLUSIVE lock: reads and writes wait until every row is copied.`,
          fix,
        );
      });
    }
    return [];
  },
};
