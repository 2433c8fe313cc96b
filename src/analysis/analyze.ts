import { parser } from '../sql-parser.js';
import { createdObject, objectName, OBJECT_KINDS, sameObject } from './objects.js';
import { parseStatements, type Statement } from '../migrations/parse.js';
import { readAllowComments, type AllowComment } from './allow.js';
import { planConcurrency, type ConcurrencyDecision } from './concurrency.js';
import { runnerChange, type RunnerChange } from './runner-plan.js';
import type { DatabaseFacts } from './database-facts.js';
import type { EffectOptions, LockEffect } from './effect-list.js';
import { statementEffects } from './effects.js';
import { doBlockBody, readDoBlock, type OpaqueSql } from './embedded.js';
import { blocksOf } from './locks.js';
import { FALLBACK_RULE, RULE_IDS, RULES } from './registry.js';
import { indexName, SchemaModel } from './schema.js';
import { nodeOf, qualifiedName, relationName, type Node } from './tree.js';
import type { Finding, Rule, RuleContext, RuleHit, Verdict } from './types.js';
import { BUILT_IN_VOLATILITY } from './volatility.js';

/** One migration file to analyse: its text and its statements as parseStatements gives them. */
export interface MigrationSource {
  /** How findings name the file (its name, or a path). */
  file: string;
  /** Where it is on disk, when it is a file. */
  path?: string;
  sql: string;
  statements: Statement[];
}

export interface AnalysisOptions {
  /** What the database says (tables, rows, types, function volatility); without it lint assumes the worst. */
  database?: DatabaseFacts;
  /** The server the migrations will run on, when there is no database to ask. Default 16. */
  serverMajor?: number;
  /** Analyse the statements as astra runs them (index statements on existing tables CONCURRENTLY). Default true. */
  concurrency?: boolean;
}

/** One statement as it runs, and what it does to each table. */
export interface StatementAnalysis {
  line: number;
  kind: string;
  /** The text that runs (the CONCURRENTLY form when the runner rewrites it). */
  text: string;
  /** Why it runs outside the migration's transaction, when it does. */
  outsideTransaction?: string;
  /** The runner rewrote it to its CONCURRENTLY form and moved it after the others. */
  movedOutside: boolean;
  effects: (LockEffect & { newTable: boolean })[];
  verdict: Verdict;
}

export interface MigrationAnalysis {
  file: string;
  path?: string;
  /** In the order they run; the statements inside DO blocks follow their block. */
  statements: StatementAnalysis[];
  /** Sorted by line. */
  findings: Finding[];
  /** breaking when a breaking finding is not acknowledged by an `-- astra:allow`. */
  verdict: Verdict;
  /** Malformed `-- astra:allow` comments: input errors. */
  problems: string[];
  /** Statements the runner does not run as written, or not where written: what it runs instead. */
  runs: RunnerChange[];
}

const DEFAULT_SERVER_MAJOR = 16;

/**
 * Analyses migrations in the order they run, carrying what each one does to
 * the schema into the next. Pure: the database, when there is one, comes in
 * as facts read beforehand.
 */
export function analyzeMigrations(sources: MigrationSource[], options: AnalysisOptions = {}): MigrationAnalysis[] {
  const schema = seededSchema(options.database);
  const effectOptions: EffectOptions = {
    schema,
    serverMajor: options.database?.serverMajor ?? options.serverMajor ?? DEFAULT_SERVER_MAJOR,
    volatility: new Map([...BUILT_IN_VOLATILITY, ...(options.database?.volatility ?? [])]),
    ...(options.database?.timeZone ? { timeZone: options.database.timeZone } : {}),
  };
  return sources.map((source) => analyzeOne(source, effectOptions, options));
}

function seededSchema(database: DatabaseFacts | undefined): SchemaModel {
  const schema = new SchemaModel();
  for (const [name, facts] of database?.tables ?? []) {
    schema.tables.set(name, {
      ...facts,
      columns: new Map([...facts.columns].map(([column, info]) => [column, { ...info }])),
      checkedNotNull: new Map(facts.checkedNotNull),
      ...(facts.partitions ? { partitions: [...facts.partitions] } : {}),
      ...(facts.triggerFunctions ? { triggerFunctions: new Set(facts.triggerFunctions) } : {}),
      defined: true,
    });
  }
  for (const [name, facts] of database?.indexes ?? []) schema.indexes.set(name, { ...facts });
  for (const [view, reads] of database?.viewReads ?? []) schema.viewReads.set(view, [...reads]);
  for (const [statistics, table] of database?.statistics ?? []) schema.statistics.set(statistics, table);
  return schema;
}

function analyzeOne(source: MigrationSource, effectOptions: EffectOptions, options: AnalysisOptions): MigrationAnalysis {
  const plan = options.concurrency === false ? { statements: source.statements, decisions: [] } : planConcurrency(source.statements);
  const decisions = new Map<Statement, ConcurrencyDecision>(plan.decisions.map((decision) => [decision.runs, decision]));
  const allows = readAllowComments(source.sql, source.file, RULE_IDS);
  const run = new MigrationRun(source.file, effectOptions, isWrappedInTransaction(source.sql), options.database, writtenOutsideTransaction(source));

  for (const [position, statement] of plan.statements.entries()) {
    if (statement.kind !== 'DoStmt') {
      // The runner runs consecutive statements that can, in one transaction: the rest of this one's.
      const rest = plan.statements.slice(position + 1);
      const end = rest.findIndex((later) => later.outsideTransaction !== undefined);
      const later = statement.outsideTransaction !== undefined ? [] : end < 0 ? rest : rest.slice(0, end);
      run.statement(statement, { concurrency: decisions.get(statement), inDoBlock: false, opaque: [], later });
      continue;
    }
    const contents = readDoBlock(statement);
    const body = doBlockBody(statement);
    if (body) {
      const inner = readAllowComments(body.text, source.file, RULE_IDS, body.firstLine);
      allows.problems.push(...inner.problems);
      for (const [line, list] of inner.byStatementLine) allows.byStatementLine.set(line, [...(allows.byStatementLine.get(line) ?? []), ...list]);
    }
    run.statement(statement, { inDoBlock: false, opaque: contents.opaque });
    for (const inner of contents.statements) run.statement(inner, { inDoBlock: true, opaque: [], block: statement });
  }

  const findings = run.findings
    .map(({ finding, block }) => acknowledge(finding, allows.byStatementLine.get(finding.line) ?? (block ? allows.byStatementLine.get(block.line) : undefined)))
    .sort((a, b) => a.line - b.line);
  const breaking = (finding: Finding) => finding.verdict === 'breaking' && finding.allowed === undefined;
  const statements = run.statements.map((analysis) => ({
    ...analysis,
    verdict: findings.some((finding) => breaking(finding) && finding.line === analysis.line) ? ('breaking' as const) : ('safe' as const),
  }));
  return {
    file: source.file,
    ...(source.path ? { path: source.path } : {}),
    statements,
    findings,
    verdict: findings.some(breaking) ? 'breaking' : 'safe',
    problems: allows.problems,
    runs: run.changes,
  };
}

function acknowledge(finding: Finding, allows: AllowComment[] | undefined): Finding {
  const allow = allows?.find((candidate) => candidate.rule === finding.rule);
  return allow ? { ...finding, allowed: allow.reason } : finding;
}

interface StatementExtras {
  concurrency?: ConcurrencyDecision | undefined;
  inDoBlock: boolean;
  opaque: OpaqueSql[];
  /** For a statement inside a DO block: the block. */
  block?: Statement;
  /** See RuleContext.laterInSameTransaction. */
  later?: Statement[];
}

/** The state of one migration's analysis as its statements go by. */
class MigrationRun {
  readonly findings: { finding: Finding; block?: Statement }[] = [];
  readonly statements: Omit<StatementAnalysis, 'verdict'>[] = [];
  readonly changes: RunnerChange[] = [];
  private readonly created = new Set<string>();
  /** Views, functions, types... created by the statements so far, as `kind:name`. */
  private readonly createdObjects = new Set<string>();
  private readonly earlier: Statement[] = [];
  /** The session's TimeZone as the statements so far leave it (the runner resets the session between migrations). */
  private timeZone: string | undefined;

  constructor(
    private readonly file: string,
    private readonly baseOptions: EffectOptions,
    private readonly wrapped: boolean,
    private readonly database: DatabaseFacts | undefined,
    /** Line → why the statement written there cannot run in a transaction block. */
    private readonly writtenOutside: Map<number, string>,
  ) {
    this.timeZone = baseOptions.timeZone;
  }

  private get options(): EffectOptions {
    return this.timeZone === undefined ? this.baseOptions : { ...this.baseOptions, timeZone: this.timeZone };
  }

  statement(statement: Statement, extras: StatementExtras): void {
    const effects = statementEffects(statement.kind, statement.node, this.options);
    const context: RuleContext = {
      file: this.file,
      statement,
      effects,
      schema: this.options.schema,
      options: this.options,
      isNew: (table) => this.created.has(table),
      isNewObject: (kind, name) => [...this.createdObjects].some((key) => key.startsWith(`${kind}:`) && sameObject(kind, name, key.slice(kind.length + 1))),
      rows: (table) => this.database?.tables.get(table)?.rows,
      earlier: [...this.earlier],
      laterInSameTransaction: extras.later ?? [],
      wrappedInTransaction: this.wrapped,
      ...(!extras.inDoBlock && this.writtenOutside.has(statement.line) ? { writtenOutsideTransaction: this.writtenOutside.get(statement.line)! } : {}),
      ...(extras.concurrency ? { concurrency: extras.concurrency } : {}),
      inDoBlock: extras.inDoBlock,
      opaque: extras.opaque,
    };
    const hits = RULES.flatMap((rule) => rule.run(context).map((hit) => ({ rule, hit })));
    const reported = new Set(hits.filter(({ rule }) => !rule.advice).map(({ hit }) => hit.table ?? effects[0]?.table));
    // What the statement reaches beyond what it names is covered by a finding on the statement.
    const uncovered = effects.filter((effect) => !reported.has(effect.table) && !(effect.reached && reported.size > 0));
    if (uncovered.length > 0) hits.push(...FALLBACK_RULE.run({ ...context, effects: uncovered }).map((hit) => ({ rule: FALLBACK_RULE, hit })));
    for (const { rule, hit } of hits)
      this.findings.push({ finding: this.finding(rule, hit, statement, effects), ...(extras.block ? { block: extras.block } : {}) });

    this.statements.push({
      line: statement.line,
      kind: statement.kind,
      text: statement.text,
      ...(statement.outsideTransaction ? { outsideTransaction: statement.outsideTransaction } : {}),
      movedOutside: extras.concurrency?.moved === true,
      effects: effects.map((effect) => ({ ...effect, newTable: this.created.has(effect.table) })),
    });
    if (!extras.inDoBlock) {
      const change = runnerChange(statement, extras.concurrency, this.options.schema, (table) => this.created.has(table));
      if (change) this.changes.push(change);
    }
    this.options.schema.apply(statement.kind, statement.node);
    this.noteSetting(statement);
    this.noteCreated(statement);
    this.earlier.push(statement);
  }

  private finding(rule: Rule, hit: RuleHit, statement: Statement, effects: LockEffect[]): Finding {
    const effect = hit.table === undefined ? effects[0] : effects.find((candidate) => candidate.table === hit.table);
    return {
      rule: rule.id,
      file: this.file,
      line: statement.line,
      statement: hit.statement ?? statement.text,
      table: hit.table ?? effect?.table ?? null,
      lock: hit.lock ?? effect?.lock ?? null,
      blocks: hit.lock ? blocksOf(hit.lock) : (effect?.blocks ?? 'none'),
      rewrite: effect?.rewrite ?? false,
      scan: effect?.scan ?? false,
      verdict: hit.verdict,
      message: hit.message,
      fix: hit.fix,
    };
  }

  /** SET TimeZone / SET TIME ZONE: what later type changes between timestamp and timestamptz do depends on it. */
  private noteSetting({ kind, node }: Statement): void {
    if (kind !== 'VariableSetStmt' || (node.name !== 'timezone' && node.kind !== 'VAR_RESET_ALL')) return;
    const value = nodeOf((node.args as unknown[] | undefined)?.[0], 'A_Const')?.sval as { sval?: string } | undefined;
    this.timeZone = node.kind === 'VAR_SET_VALUE' ? value?.sval : this.baseOptions.timeZone;
  }

  private noteCreated(statement: Statement): void {
    const { kind, node } = statement;
    const object = createdObject(kind, node);
    if (object) this.createdObjects.add(`${object.kind}:${object.name}`);
    if (kind === 'CreateStmt' || kind === 'CreateTableAsStmt') {
      const table = relationName(node.relation) ?? relationName(nodeOf(node.into, 'IntoClause')?.rel ?? (node.into as { rel?: unknown } | undefined)?.rel);
      if (table) this.created.add(table);
    } else if (kind === 'SelectStmt' && node.intoClause) {
      const table = relationName((nodeOf(node.intoClause, 'IntoClause') ?? (node.intoClause as { rel?: unknown })).rel);
      if (table) this.created.add(table);
    } else if (kind === 'IndexStmt') {
      const table = relationName(node.relation);
      if (table) this.created.add(indexName(table, node));
    } else if (kind === 'RenameStmt' || kind === 'AlterObjectSchemaStmt') {
      this.noteMoved(kind, node);
    }
  }

  /** A table or object this migration created, renamed or moved to another schema, is still new under its new name. */
  private noteMoved(kind: string, node: Node): void {
    const type = String(kind === 'RenameStmt' ? node.renameType : node.objectType);
    const schemaRename = kind === 'RenameStmt' && type === 'OBJECT_SCHEMA';
    const written = schemaRename ? (typeof node.subname === 'string' ? node.subname : undefined) : (relationName(node.relation) ?? objectName(node.object));
    if (!written || (kind === 'RenameStmt' && (typeof node.newname !== 'string' || (node.subname !== undefined && !schemaRename)))) return;
    // A function's argument types follow it to its new name.
    const objectKind = OBJECT_KINDS[type];
    const old = objectKind
      ? ([...this.createdObjects]
          .find((key) => key.startsWith(`${objectKind}:`) && sameObject(objectKind, written, key.slice(objectKind.length + 1)))
          ?.slice(objectKind.length + 1) ?? written)
      : written;
    const args = old.includes('(') ? old.slice(old.indexOf('(')) : '';
    const name = old.slice(0, old.length - args.length);
    const oldSchema = name.includes('.') ? name.slice(0, name.indexOf('.')) : 'public';
    const bare = name.slice(name.lastIndexOf('.') + 1);
    const renamed = `${
      schemaRename
        ? String(node.newname)
        : kind === 'RenameStmt'
          ? qualifiedName([oldSchema, String(node.newname)])
          : qualifiedName([String(node.newschema), bare])
    }${args}`;
    // The old name is free again: what takes it later is not this object.
    if (type === 'OBJECT_TABLE') {
      if (this.created.delete(old)) this.created.add(renamed);
      return;
    }
    if (objectKind && this.createdObjects.delete(`${objectKind}:${old}`)) this.createdObjects.add(`${objectKind}:${renamed}`);
  }
}

/**
 * The statements that cannot run in a transaction block as the file writes
 * them, by line: read from the file itself, since the statements given may
 * already be in the form astra runs (with CONCURRENTLY added by the runner).
 */
function writtenOutsideTransaction(source: MigrationSource): Map<number, string> {
  const written = new Map<number, string>();
  try {
    for (const statement of parseStatements(source.sql, source.file)) {
      if (statement.outsideTransaction) written.set(statement.line, statement.outsideTransaction);
    }
  } catch {
    // The statements were given without their file text; nothing is known as written.
  }
  return written;
}

/** The file begins with BEGIN (or START TRANSACTION) and ends with COMMIT, as written. */
export function isWrappedInTransaction(sql: string): boolean {
  try {
    const statements = parser().parseSync(sql).stmts ?? [];
    const kindOf = (index: number) => nodeOf(statements.at(index)?.stmt, 'TransactionStmt')?.kind;
    const first = kindOf(0);
    return statements.length >= 2 && (first === 'TRANS_STMT_BEGIN' || first === 'TRANS_STMT_START') && kindOf(-1) === 'TRANS_STMT_COMMIT';
  } catch {
    return false;
  }
}
