import type { SqlError } from 'libpg-query';
import { parser } from '../sql-parser.js';
import { inputError } from '../errors.js';

/** One top-level SQL statement of a migration, as the PostgreSQL parser sees it. */
export interface Statement {
  /** 0-based position in the file. */
  index: number;
  /** The statement's text, without the terminating semicolon. */
  text: string;
  /** 1-based line where it starts. */
  line: number;
  /** Parse-tree node type, e.g. "IndexStmt". */
  kind: string;
  /** The parse-tree node (the value under `kind`). */
  node: Record<string, unknown>;
  /**
   * Why the statement cannot run inside a transaction block, when it cannot
   * (CREATE INDEX CONCURRENTLY, VACUUM, ...); undefined when it can.
   */
  outsideTransaction?: string;
  /** The text as the file wrote it, when astra rewrote the statement to run CONCURRENTLY. */
  writtenAs?: string;
}

/** The parser is WebAssembly: it must be loaded once before the first parse. */
export { loadParser } from '../sql-parser.js';

/**
 * Splits migration SQL into statements with the real PostgreSQL parser.
 * A syntax error is an input error naming the file and line.
 * Call loadParser() first.
 */
export function parseStatements(sql: string, file: string): Statement[] {
  let tree: ReturnType<ReturnType<typeof parser>['parseSync']>;
  try {
    tree = parser().parseSync(sql);
  } catch (error) {
    const details = (error as SqlError).sqlDetails;
    const line = details ? lineAt(Buffer.from(sql), Math.max(0, details.cursorPosition)) : undefined;
    throw inputError(
      `${file}${line ? `, line ${line}` : ''}: the SQL does not parse: ${(error as Error).message}.`,
      'Fix the SQL; nothing was applied.',
      error,
    );
  }
  // The parser counts in bytes.
  const bytes = Buffer.from(sql, 'utf8');
  const statements: Statement[] = [];
  // Lines are counted on from the previous statement's start: statements come in file order.
  const lines = { offset: 0, line: 1 };
  for (const raw of tree.stmts ?? []) {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const piece = bytes.subarray(start, end).toString('utf8');
    const leading = piece.length - piece.trimStart().length;
    const text = piece.trim();
    const [kind, node] = Object.entries(raw.stmt ?? {})[0] ?? ['Unknown', {}];
    const offset = start + Buffer.byteLength(piece.slice(0, leading));
    lines.line += newlinesBetween(bytes, lines.offset, offset);
    lines.offset = offset;
    const statement: Statement = { index: statements.length, text, line: lines.line, kind, node: node as Record<string, unknown> };
    const reason = outsideTransactionReason(kind, node as Record<string, unknown>);
    if (reason) statement.outsideTransaction = reason;
    statements.push(statement);
  }
  return stripTransactionWrapper(statements, file);
}

function newlinesBetween(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a, from); at !== -1 && at < to; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

function lineAt(bytes: Buffer, offset: number): number {
  return 1 + newlinesBetween(bytes, 0, offset);
}

/** Statements PostgreSQL refuses inside a transaction block, with the reason shown to people. */
/** The partition (its RangeVar) an ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY detaches; undefined for any other ALTER TABLE. */
export function concurrentDetach(node: Record<string, unknown>): { relname?: string; schemaname?: string } | undefined {
  const commands = (node.cmds as { AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { name?: { relname?: string; schemaname?: string }; concurrent?: boolean } } } }[] | undefined) ?? [];
  const detach = commands.find((command) => command.AlterTableCmd?.subtype === 'AT_DetachPartition' && command.AlterTableCmd.def?.PartitionCmd?.concurrent === true);
  return detach?.AlterTableCmd?.def?.PartitionCmd?.name;
}

export function outsideTransactionReason(kind: string, node: Record<string, unknown>): string | undefined {
  switch (kind) {
    case 'IndexStmt':
      return node.concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
    case 'DropStmt':
      return node.concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
    case 'ReindexStmt': {
      const params = (node.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
      if (params.some((param) => param.DefElem?.defname === 'concurrently')) return 'REINDEX CONCURRENTLY';
      if (node.kind === 'REINDEX_OBJECT_SCHEMA') return 'REINDEX SCHEMA';
      return node.kind === 'REINDEX_OBJECT_SYSTEM' || node.kind === 'REINDEX_OBJECT_DATABASE' ? 'REINDEX SYSTEM/DATABASE' : undefined;
    }
    case 'VacuumStmt':
      return node.is_vacuumcmd ? 'VACUUM' : undefined;
    case 'AlterTableStmt':
      return concurrentDetach(node) ? 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY' : undefined;
    case 'CreatedbStmt':
      return 'CREATE DATABASE';
    case 'DropdbStmt':
      return 'DROP DATABASE';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    case 'CreateTableSpaceStmt':
      return 'CREATE TABLESPACE';
    case 'DropTableSpaceStmt':
      return 'DROP TABLESPACE';
    case 'CreateSubscriptionStmt':
      return 'CREATE SUBSCRIPTION';
    case 'DropSubscriptionStmt':
      return 'DROP SUBSCRIPTION';
    default:
      return undefined;
  }
}

/**
 * astra gives each migration its transaction. A file wrapped in BEGIN ... COMMIT
 * (common in hand-written migrations) has the wrapper dropped; any other
 * transaction control in a file is an input error.
 */
function stripTransactionWrapper(statements: Statement[], file: string): Statement[] {
  const kindOf = (statement: Statement | undefined) => (statement?.kind === 'TransactionStmt' ? String(statement.node.kind) : undefined);
  let body = statements;
  const first = kindOf(body[0]);
  const last = kindOf(body.at(-1));
  if ((first === 'TRANS_STMT_BEGIN' || first === 'TRANS_STMT_START') && last === 'TRANS_STMT_COMMIT' && body.length >= 2) {
    body = body.slice(1, -1);
  }
  const control = body.find((statement) => statement.kind === 'TransactionStmt');
  if (control) {
    throw inputError(
      `${file}, line ${control.line}: "${control.text}" controls the transaction, which astra manages itself.`,
      'Remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT from the migration; astra runs each migration in one transaction.',
    );
  }
  return body.map((statement, index) => ({ ...statement, index }));
}
