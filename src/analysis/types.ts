import type { Statement } from '../migrations/parse.js';
import type { ConcurrencyDecision } from './concurrency.js';
import type { EffectOptions, LockEffect } from './effect-list.js';
import type { OpaqueSql } from './embedded.js';
import type { Blocks, LockMode } from './locks.js';
import type { SchemaModel } from './schema.js';
import type { ObjectKind } from './objects.js';

export type Verdict = 'safe' | 'breaking';

/** One thing a rule found in one statement: the problem and what to write instead. */
export interface Finding {
  /** The rule's kebab-case id (docs/rules/<rule>.md). */
  rule: string;
  file: string;
  line: number;
  /** The statement's text. */
  statement: string;
  /** The table concerned, when there is one. */
  table: string | null;
  /** The lock the statement takes on that table. */
  lock: LockMode | null;
  blocks: Blocks;
  /** The table is rewritten under the lock. */
  rewrite: boolean;
  /** Every row is read under the lock (without a rewrite). */
  scan: boolean;
  verdict: Verdict;
  /** The problem. */
  message: string;
  /** The alternative. */
  fix: string;
  /** The reason of the `-- astra:allow <rule>` comment that acknowledges it. */
  allowed?: string;
}

/** What a rule returns: the finding without what the analysis fills in. */
export interface RuleHit {
  table?: string;
  /** The lock the statement takes as the runner runs it, when the rule knows better than its effects. */
  lock?: LockMode;
  /** The statement as the runner runs it, when the rule knows better than the analysis (shown instead of its text). */
  statement?: string;
  verdict: Verdict;
  message: string;
  fix: string;
}

/** Everything a rule may look at, for one statement as it will run. */
export interface RuleContext {
  file: string;
  statement: Statement;
  /** What the statement locks, rewrites and scans. */
  effects: LockEffect[];
  /** The schema as the statements before this one leave it. */
  schema: SchemaModel;
  options: EffectOptions;
  /** Created earlier in this migration: nobody uses it yet. */
  isNew(table: string): boolean;
  /** An object other than a table (a view, function, type...) created earlier in this migration: nobody uses it yet. */
  isNewObject(kind: ObjectKind, name: string): boolean;
  /** Estimated rows, when lint has a database. */
  rows(table: string): number | undefined;
  /** The statements of this migration that run before this one (DO block contents included). */
  earlier: Statement[];
  /**
   * The statements of this migration that run after this one in the same
   * transaction (what they do commits together with it); empty for a
   * statement that runs outside one.
   */
  laterInSameTransaction: Statement[];
  /** The file is wrapped in BEGIN ... COMMIT. */
  wrappedInTransaction: boolean;
  /**
   * Why the statement, as the file writes it, cannot run in a transaction block
   * (CREATE INDEX CONCURRENTLY, VACUUM...); undefined when it can, including
   * when only astra's runner made it CONCURRENTLY.
   */
  writtenOutsideTransaction?: string;
  /** What the runner decided for this statement when it builds, drops or rebuilds an index on an existing table. */
  concurrency?: ConcurrencyDecision;
  /** The statement runs inside a DO block. */
  inDoBlock: boolean;
  /** For a DO block: the SQL in it that lint cannot read. */
  opaque: OpaqueSql[];
}

/** A rule: one file in src/analysis/rules/, a doc in docs/rules/<id>.md, an ok and an err fixture. */
export interface Rule {
  id: string;
  title: string;
  /** Advice: its findings are safe by construction and never fail lint. */
  advice?: boolean;
  run(context: RuleContext): RuleHit[];
}
