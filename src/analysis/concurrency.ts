import { parser } from '../sql-parser.js';
import { outsideTransactionReason, type Statement } from '../migrations/parse.js';
import { readDoBlock } from './embedded.js';
import { indexName } from './schema.js';
import { list, nameParts, nodeOf, qualifiedName, reindexConcurrently, relationName, type Node } from './tree.js';

/** What the runner does with one index statement on an object that exists before the migration. */
export interface ConcurrencyDecision {
  /** The statement as written. */
  statement: Statement;
  moved: boolean;
  /** Moved: the statement as it runs. Kept: why it must stay in the transaction. */
  reason: string;
  /** Kept: the later statement that needs it, when there is one. */
  neededBy?: Statement;
  /** The statement as it runs (an element of the plan's statements). */
  runs: Statement;
}

export interface ConcurrencyPlan {
  /** The statements in the order to run, eligible ones rewritten and moved to the end. */
  statements: Statement[];
  decisions: ConcurrencyDecision[];
}

/** The statements in the order to run (see planConcurrency). */
export function rewriteForConcurrency(statements: Statement[]): Statement[] {
  return planConcurrency(statements).statements;
}

/**
 * Index builds and drops on existing tables run CONCURRENTLY: a plain CREATE
 * INDEX, DROP INDEX (one index, no CASCADE) or REINDEX INDEX/TABLE on an object
 * not created earlier in the same migration is rewritten to its CONCURRENTLY
 * form and moved after the migration's other statements, outside the
 * transaction, where it blocks neither reads nor writes. It stays where it is
 * when a later statement of the migration needs it (names the index, drops or
 * renames its table or column, relies on a unique index through ON CONFLICT or
 * a foreign key, or runs SQL lint cannot read). Statements are renumbered in
 * their new order; their lines do not change.
 */
export function planConcurrency(statements: Statement[]): ConcurrencyPlan {
  const decisions: ConcurrencyDecision[] = [];
  const created = new Set<string>();
  const stay: Statement[] = [];
  const moved: Statement[] = [];
  statements.forEach((statement, position) => {
    const target = eligibleTarget(statement, created);
    for (const inner of expanded(statement)) noteCreated(inner, created);
    if (!target) {
      stay.push(statement);
      return;
    }
    const need = laterNeed(target, statements.slice(position + 1));
    if (need) {
      decisions.push({ statement, moved: false, reason: need.why, neededBy: need.statement, runs: statement });
      stay.push(statement);
      return;
    }
    const rewritten = concurrentForm(statement);
    decisions.push({ statement, moved: true, reason: rewritten.text, runs: rewritten });
    moved.push(rewritten);
  });
  const renumbered = new Map<Statement, Statement>();
  const ordered = [...stay, ...moved].map((statement, index) => {
    const copy = { ...statement, index };
    renumbered.set(statement, copy);
    return copy;
  });
  return { statements: ordered, decisions: decisions.map((decision) => ({ ...decision, runs: renumbered.get(decision.runs) ?? decision.runs })) };
}

/** The index and table an eligible statement works on; undefined when it is not eligible. */
interface Target {
  kind: 'create' | 'drop' | 'reindex';
  table?: string;
  index?: string;
  unique: boolean;
}

function eligibleTarget(statement: Statement, created: Set<string>): Target | undefined {
  const node = statement.node;
  switch (statement.kind) {
    case 'IndexStmt': {
      const table = relationName(node.relation);
      if (node.concurrent || !table || created.has(table)) return undefined;
      return { kind: 'create', table, ...(typeof node.idxname === 'string' ? { index: indexName(table, node) } : {}), unique: node.unique === true };
    }
    case 'DropStmt': {
      const objects = list(node.objects);
      if (node.removeType !== 'OBJECT_INDEX' || node.concurrent || objects.length !== 1 || node.behavior === 'DROP_CASCADE') return undefined;
      const index = qualifiedName(nameParts(nodeOf(objects[0], 'List')?.items));
      return created.has(index) ? undefined : { kind: 'drop', index, unique: false };
    }
    case 'ReindexStmt': {
      const relation = relationName(node.relation);
      if (!relation || reindexConcurrently(node) || created.has(relation)) return undefined;
      if (node.kind === 'REINDEX_OBJECT_TABLE') return { kind: 'reindex', table: relation, unique: false };
      if (node.kind === 'REINDEX_OBJECT_INDEX') return { kind: 'reindex', index: relation, unique: false };
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A statement and, for a DO block, the statements inside it. */
function expanded(statement: Statement): Statement[] {
  return statement.kind === 'DoStmt' ? [statement, ...readDoBlock(statement).statements] : [statement];
}

function noteCreated(statement: Statement, created: Set<string>): void {
  const node = statement.node;
  if (statement.kind === 'CreateStmt') {
    const table = relationName(node.relation);
    if (table) created.add(table);
  } else if (statement.kind === 'CreateTableAsStmt') {
    const table = relationName(nodeOf(node.into, 'IntoClause')?.rel ?? (node.into as Node | undefined)?.rel);
    if (table) created.add(table);
  } else if (statement.kind === 'IndexStmt') {
    const table = relationName(node.relation);
    if (table) created.add(indexName(table, node));
  }
}

const bare = (name: string) => name.split('.').at(-1) ?? name;

/** Every string in a parse tree: identifiers, names, constants. */
function stringsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, into);
  else if (value && typeof value === 'object') for (const child of Object.values(value)) stringsIn(child, into);
  return into;
}

function laterNeed(target: Target, later: Statement[]): { statement: Statement; why: string } | undefined {
  for (const outer of later) {
    const where = `statement ${outer.index + 1} (line ${outer.line})`;
    if (outer.kind === 'DoStmt' && readDoBlock(outer).opaque.length > 0) {
      return { statement: outer, why: `${where} runs SQL lint cannot read, which may need the index` };
    }
    for (const statement of expanded(outer)) {
      const names = stringsIn(statement.node);
      if (target.index && names.has(bare(target.index))) return { statement: outer, why: `${where} names the index ${bare(target.index)}` };
      if (target.table && changesTable(statement, target.table))
        return { statement: outer, why: `${where} drops, renames or retypes ${target.table} or one of its columns` };
      if (target.table && target.unique && reliesOnUnique(statement, target.table)) {
        return { statement: outer, why: `${where} relies on the unique index (ON CONFLICT or a foreign key to ${target.table})` };
      }
    }
  }
  return undefined;
}

function changesTable(statement: Statement, table: string): boolean {
  const node = statement.node;
  switch (statement.kind) {
    case 'AlterTableStmt':
      return (
        relationName(node.relation) === table &&
        list(node.cmds).some((item) => {
          const subtype = nodeOf(item, 'AlterTableCmd')?.subtype;
          return subtype === 'AT_DropColumn' || subtype === 'AT_AlterColumnType' || subtype === 'AT_SetTableSpace';
        })
      );
    case 'RenameStmt':
      return relationName(node.relation) === table;
    case 'DropStmt':
      return node.removeType === 'OBJECT_TABLE' && list(node.objects).some((object) => qualifiedName(nameParts(nodeOf(object, 'List')?.items)) === table);
    default:
      return false;
  }
}

function reliesOnUnique(statement: Statement, table: string): boolean {
  if (statement.kind === 'InsertStmt') return relationName(statement.node.relation) === table && statement.node.onConflictClause !== undefined;
  let references = false;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const constraint = nodeOf(value, 'Constraint');
      if (constraint?.contype === 'CONSTR_FOREIGN' && relationName(constraint.pktable) === table) references = true;
      Object.values(value).forEach(visit);
    }
  };
  visit(statement.node);
  return references;
}

/** The CONCURRENTLY form of an eligible statement: the keyword inserted after INDEX/TABLE, found by the scanner. */
function concurrentForm(statement: Statement): Statement {
  const keyword = statement.kind === 'ReindexStmt' ? ['INDEX', 'TABLE'] : ['INDEX'];
  const text = insertAfterKeyword(statement.text, keyword, 'CONCURRENTLY');
  const node: Node =
    statement.kind === 'ReindexStmt'
      ? { ...statement.node, params: [...list(statement.node.params), { DefElem: { defname: 'concurrently', defaction: 'DEFELEM_UNSPEC' } }] }
      : { ...statement.node, concurrent: true };
  const reason = outsideTransactionReason(statement.kind, node);
  return { ...statement, text, node, writtenAs: statement.text, ...(reason ? { outsideTransaction: reason } : {}) };
}

/** Inserts `word` after the first keyword token in `keywords` at parenthesis depth 0. */
export function insertAfterKeyword(sql: string, keywords: string[], word: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  let depth = 0;
  for (const token of parser().scanSync(sql).tokens) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.keywordName !== 'NO_KEYWORD' && keywords.includes(token.text.toUpperCase())) {
      return `${bytes.subarray(0, token.end).toString('utf8')} ${word}${bytes.subarray(token.end).toString('utf8')}`;
    }
  }
  throw new Error(`No ${keywords.join('/')} keyword in: ${sql}`);
}
