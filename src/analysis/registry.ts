import { blockingTableScan } from './rules/blocking-table-scan.js';
import { clusterVacuumFull } from './rules/cluster-vacuum-full.js';
import { columnTypeRewrite } from './rules/column-type-rewrite.js';
import { concurrentlyInTransaction } from './rules/concurrently-in-transaction.js';
import { constraintWithoutNotValid } from './rules/constraint-without-not-valid.js';
import { dropColumn } from './rules/drop-column.js';
import { dropObject } from './rules/drop-object.js';
import { dropTable } from './rules/drop-table.js';
import { moveObject } from './rules/move-object.js';
import { detachPartition } from './rules/detach-partition.js';
import { partitionedIndex } from './rules/partitioned-index.js';
import { partitionedIndexUnnamed } from './rules/partitioned-index-unnamed.js';
import { refreshMaterializedView } from './rules/refresh-materialized-view.js';
import { renameObject } from './rules/rename-object.js';
import { revokePrivilege } from './rules/revoke-privilege.js';
import { dynamicSql } from './rules/dynamic-sql.js';
import { indexNotConcurrent } from './rules/index-not-concurrent.js';
import { missingExistenceGuard } from './rules/missing-existence-guard.js';
import { notNullColumnWithoutDefault } from './rules/not-null-column-without-default.js';
import { renameColumn } from './rules/rename-column.js';
import { renameTable } from './rules/rename-table.js';
import { setNotNull } from './rules/set-not-null.js';
import { truncate } from './rules/truncate.js';
import { uniqueWithoutUsingIndex } from './rules/unique-without-using-index.js';
import { volatileDefault } from './rules/volatile-default.js';
import { wholeTableDml } from './rules/whole-table-dml.js';
import type { Rule } from './types.js';

/** Every rule, in the order their findings are listed for one statement. */
export const RULES: readonly Rule[] = [
  indexNotConcurrent,
  volatileDefault,
  columnTypeRewrite,
  setNotNull,
  constraintWithoutNotValid,
  uniqueWithoutUsingIndex,
  notNullColumnWithoutDefault,
  dropTable,
  dropColumn,
  renameTable,
  renameColumn,
  dropObject,
  renameObject,
  moveObject,
  revokePrivilege,
  refreshMaterializedView,
  detachPartition,
  partitionedIndex,
  partitionedIndexUnnamed,
  truncate,
  clusterVacuumFull,
  wholeTableDml,
  concurrentlyInTransaction,
  dynamicSql,
  missingExistenceGuard,
];

/** Runs after the others, on the tables they did not report for a statement. */
export const FALLBACK_RULE: Rule = blockingTableScan;

export const RULE_IDS: ReadonlySet<string> = new Set([...RULES, FALLBACK_RULE].map((rule) => rule.id));
