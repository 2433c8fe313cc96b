import * as DEFAULTS from '../defaults.js';
import type { MigrationVersion } from '../migration-version.js';
import { AstraError, EXIT_FAILED, errorMessage, operationError } from '../errors.js';
import { isPgError, LOCK_NOT_AVAILABLE, ScriptError, type Database } from '../db/database.js';
import { OTHER_ADVISORY_LOCKS, releaseAdvisoryLocksExceptRunLock } from '../db/advisory-lock.js';
import type { Ledger } from '../db/ledger.js';
import { indexStatementFor, numberedName, partitionIndexName, writtenOnOnly } from './partitioned-index.js';
import { quoteIdent } from '../db/quote.js';
import type { Migration } from './load.js';
import { concurrentDetach, loadParser, type Statement } from './parse.js';
import { oneLine } from './plan.js';

export interface LockPolicy {
  /** lock_timeout for every statement, in milliseconds. */
  lockTimeoutMs: number;
  /** How many times a statement that hit lock_timeout is tried again. */
  lockRetries: number;
  /** First wait before a retry; doubles each time, capped at 30 s. */
  retryBaseMs: number;
}

export const DEFAULT_LOCK_POLICY: LockPolicy = { ...DEFAULTS.DEFAULT_LOCK_POLICY };

/** What the runner tells its caller as it goes. All optional. */
export interface RunnerEvents {
  migrationStarted?(migration: Migration, resumeAt?: number): void;
  migrationApplied?(migration: Migration, durationMs: number): void;
  /** A statement that runs outside the transaction is starting (index builds...). */
  statementOutside?(migration: Migration, statement: Statement): void;
  /** A lock could not be had within lock_timeout; waiting `delayMs`, then attempt `attempt` of `of`. */
  lockRetry?(migration: Migration, statement: Statement, attempt: number, of: number, delayMs: number): void;
  /** An INVALID index left by a failed concurrent build was dropped. */
  invalidIndexDropped?(migration: Migration, index: string): void;
  /** Resuming an interrupted migration: the index its concurrent build makes was finished after all (by the session cut off). */
  indexFoundBuilt?(migration: Migration, index: string): void;
}

/** "Migration 3 (003_x.sql)", or for a repeatable one, which has no version, "The repeatable migration R__views.sql". */
function named(migration: Migration): string {
  return migration.repeatable ? `The repeatable migration ${migration.file}` : `Migration ${migration.version} (${migration.file})`;
}

/** A migration failed; says what stands now. */
export class MigrationFailedError extends AstraError {
  readonly version: MigrationVersion;
  readonly statement: Statement;
  /** What failed, without what it left behind: for callers that say that themselves. */
  readonly summary: string;
  /** Its transaction was rolled back and nothing of it stays: the database is as it was before this migration. */
  readonly leftNothing: boolean;

  constructor(migration: Migration, statement: Statement, cause: unknown, recordedDirty: boolean, resumable = true, undoing = false) {
    const where =
      statement.index >= migration.statements.length
        ? 'its COMMIT, where deferred constraints are checked'
        : `statement ${statement.index + 1} of ${migration.statements.length}, line ${statement.line}`;
    const state = recordedDirty
      ? 'It is recorded as unfinished (dirty) at that statement; the statements before it are kept.'
      : undoing
        ? `Its transaction was rolled back: none of its changes were kept, and migration ${migration.version} is still recorded as applied.`
        : 'Its transaction was rolled back: none of its changes were kept and it is not recorded as applied.';
    super(`${named(migration)} failed at ${where} (${oneLine(statement.text, 80)}): ${errorMessage(cause)}. ${state}`, {
      exitCode: EXIT_FAILED,
      cause,
      fix: recordedDirty
        ? resumable
          ? 'Fix the cause, then run astra migrate up again: it resumes at that statement.'
          : `Repair the database by hand, then record where it stands with astra migrate force ${migration.version} (still applied) or the version before it.`
        : undoing
          ? 'Fix the cause (or the down migration), then run astra migrate down again.'
          : 'Fix the cause (or the migration, if it has never been applied anywhere) and run astra migrate up again.',
    });
    this.version = migration.version;
    this.statement = statement;
    this.summary = `migration ${migration.file} failed at line ${statement.line} (${oneLine(statement.text, 80)}): ${errorMessage(cause)}`;
    this.leftNothing = !recordedDirty && !undoing;
  }
}

/**
 * The connection was lost while a migration, its ledger row and its COMMIT
 * were on their way: the server may have committed them or not.
 */
function connectionLostError(migration: Migration, cause: unknown): AstraError {
  return new AstraError(
    `The connection to the server was lost while migration ${migration.version} (${migration.file}) was being applied (${errorMessage(cause)}): whether its transaction committed is not known.`,
    {
      exitCode: EXIT_FAILED,
      cause,
      database: 'unknown',
      fix: `Run astra status once the server can be reached: it says whether migration ${migration.version} is applied. Then run astra migrate up again; it applies what is not.`,
    },
  );
}

/**
 * The ledger could not be written after a migration's statements ran in its
 * transaction: the migration dropped, moved or locked astra's ledger, or took
 * away the right to write it. The transaction is rolled back with it.
 */
function ledgerBrokenError(migration: Migration, cause: unknown): AstraError {
  return new AstraError(
    `${named(migration)} left astra's ledger unwritable (${errorMessage(cause)}). Its transaction was rolled back: none of its changes were kept and it is not recorded as applied.`,
    {
      exitCode: EXIT_FAILED,
      cause,
      database: 'unchanged',
      fix: "A migration must not drop, rename, move or lock astra_migrations, or revoke the login role's rights on it: take that out of the migration.",
    },
  );
}

/**
 * The migrations up to `last` committed, but the commit that waits for them
 * to reach the disk failed: they are applied as long as the server does not
 * crash before it writes them out itself (a fraction of a second).
 */
function flushError(last: Migration, cause: unknown): AstraError {
  return new AstraError(
    `The migrations up to ${last.version} (${last.file}) were committed, but the server could not confirm that they reached its disk (${errorMessage(cause)}): a server crash right now could undo the last of them.`,
    {
      exitCode: EXIT_FAILED,
      cause,
      database: 'unknown',
      fix: 'Run astra status once the server can be reached: it says which migrations are applied. astra migrate up applies any that are not.',
    },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Groups statements into runs: consecutive transactional ones together, each outside one alone. */
export function statementGroups(statements: Statement[]): Statement[][] {
  const groups: Statement[][] = [];
  for (const statement of statements) {
    const last = groups.at(-1);
    if (statement.outsideTransaction || !last || last[0]?.outsideTransaction) groups.push([statement]);
    else last.push(statement);
  }
  return groups;
}

/**
 * Applies migrations on one connection that holds the run lock.
 *
 * A migration whose statements can all run in a transaction is applied with
 * its ledger row in one transaction: all or nothing. One with statements that
 * cannot (CREATE INDEX CONCURRENTLY, VACUUM...) is recorded as dirty first;
 * its transactional runs commit together with their progress in the ledger,
 * and it is marked applied after its last statement. If one fails, the ledger
 * keeps the statement to resume at.
 */
export class MigrationRunner {
  constructor(
    private readonly db: Database,
    private readonly ledger: Ledger,
    private readonly policy: LockPolicy,
    private readonly events: RunnerEvents = {},
  ) {}

  /** The role and session user of a clean session (the ledger is written as that role), known once prepareSession ran. */
  private login: { role: string; session: string } | undefined;

  /**
   * Whether a migration's statements may go in one message. Not on a server
   * older than 13 (a statement_timeout would count the whole message), nor
   * with standard_conforming_strings off (the separators between statements
   * would then be read differently than the parser read the file).
   */
  private oneMessage = true;

  /** The last migration committed without waiting for its WAL to reach disk (applyInOneTransaction), until flush(). */
  private unflushed: Migration | undefined;

  async prepareSession(): Promise<void> {
    await this.db.query("SELECT set_config('lock_timeout', $1, false)", [`${this.policy.lockTimeoutMs}ms`]);
    const { rows } = await this.db.query<{ role: string; session: string; one_message: boolean }>(
      `SELECT current_user::text AS role, session_user::text AS session,
              current_setting('server_version_num')::int >= 130000 AND current_setting('standard_conforming_strings') = 'on' AS one_message`,
    );
    const row = rows[0];
    if (row) {
      this.login = { role: row.role, session: row.session };
      this.oneMessage = row.one_message;
    }
  }

  /**
   * Puts back everything a migration can change on the connection, so that
   * the next one runs as if in a session of its own whether or not the run
   * was split: the role and session authorization (which RESET ALL leaves),
   * settings, prepared statements, cursors, temporary objects, and the
   * advisory locks it took (astra's run lock stays).
   *
   * One round trip (a simple query of several statements): between small
   * migrations, round trips to the server are most of astra's own time.
   */
  private async resetSession(): Promise<void> {
    await this.afterReset(await this.db.script(this.resetStatements()));
  }

  /** resetSession's statements; the last reads the clean session's roles and whether it holds other advisory locks. */
  private resetStatements(): string[] {
    return [
      'SET SESSION AUTHORIZATION DEFAULT',
      'RESET ROLE',
      'RESET ALL',
      'DEALLOCATE ALL',
      'CLOSE ALL',
      'DISCARD TEMP',
      `SELECT set_config('lock_timeout', '${Math.trunc(this.policy.lockTimeoutMs)}ms', false)`,
      `SELECT current_user::text AS role, session_user::text AS session, ${OTHER_ADVISORY_LOCKS} AS other_locks`,
    ];
  }

  /** Takes what the reset read (the results of a script that ends with resetStatements()). */
  private async afterReset(results: { rows: unknown[] }[]): Promise<void> {
    const session = results.at(-1)?.rows[0] as { role: string; session: string; other_locks: boolean } | undefined;
    if (session) this.login = { role: session.role, session: session.session };
    if (session?.other_locks !== false) await releaseAdvisoryLocksExceptRunLock(this.db);
  }

  /**
   * Inside a transaction, before the ledger is written: as the role a clean
   * session has (the one that created the ledger), whatever the migration
   * SET, until the transaction ends. SET LOCAL is undone at COMMIT, back to
   * the migration's own SET ROLE or SESSION AUTHORIZATION, which later steps
   * of the migration keep. Returns the statements, for the caller to send
   * with its ledger write in one round trip.
   */
  private asLoginRole(): string {
    return this.asLoginRoleStatements().join('; ');
  }

  private asLoginRoleStatements(): string[] {
    return ['SET LOCAL SESSION AUTHORIZATION DEFAULT', ...(this.login ? [`SET LOCAL ROLE ${quoteIdent(this.login.role)}`] : [])];
  }

  /** A ledger write between a migration's steps, in a transaction of its own as the role that logged in. */
  private async recordAsLoginRole(write: () => Promise<void>): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.query(this.asLoginRole());
      await write();
    });
  }

  /**
   * Applies `migration`; `resuming` an unfinished one, from `fromStatement`,
   * which may be 0; `interrupted` when astra was stopped in it rather than a
   * statement failing.
   */
  async apply(migration: Migration, fromStatement = 0, resuming = false, interrupted = false): Promise<number> {
    const started = performance.now();
    this.events.migrationStarted?.(migration, fromStatement > 0 ? fromStatement : undefined);
    const needsOutside = migration.statements.some((statement) => statement.outsideTransaction);
    if (!needsOutside && fromStatement === 0 && !resuming) {
      await this.applyInOneTransaction(migration);
    } else {
      await this.applyInSteps(migration, fromStatement, started, resuming, interrupted);
      await this.resetSession();
    }
    const durationMs = performance.now() - started;
    this.events.migrationApplied?.(migration, durationMs);
    return durationMs;
  }

  /**
   * Runs a migration's down statements and forgets it in the ledger, in one
   * transaction when they allow it. A failure outside a transaction leaves it
   * recorded as dirty, with no statement to resume at.
   */
  async revert(migration: Migration, down: Statement[]): Promise<number> {
    const started = performance.now();
    const view: Migration = { ...migration, statements: down, file: migration.downFile ?? migration.file };
    this.events.migrationStarted?.(view);
    if (!down.some((statement) => statement.outsideTransaction)) {
      await this.withLockRetries(
        view,
        down,
        () =>
          this.db.transaction(async () => {
            for (const statement of down) await this.run(view, statement, false);
            await this.db.query(this.asLoginRole());
            await this.ledger.remove(migration.version);
          }),
        { resumable: true, undoing: true },
      );
    } else {
      for (const group of statementGroups(down)) {
        const first = group[0]!;
        if (first.outsideTransaction) this.events.statementOutside?.(view, first);
        await this.withLockRetries(
          view,
          group,
          () => (first.outsideTransaction ? this.run(view, first, true) : this.db.transaction(async () => {
            for (const statement of group) await this.run(view, statement, true);
          })),
          { resumable: false },
        );
      }
      await this.recordAsLoginRole(() => this.ledger.remove(migration.version));
    }
    await this.resetSession();
    const durationMs = performance.now() - started;
    this.events.migrationApplied?.(view, durationMs);
    return durationMs;
  }

  /**
   * Applies a repeatable migration (Flyway's R__), given as a Migration view
   * of it: its statements and `record` (the write that keeps its checksum,
   * after `before`, SQL to send with it) in one transaction.
   */
  async applyRepeatable(migration: Migration, record: (before: string, durationMs: number) => Promise<void>): Promise<number> {
    const started = performance.now();
    this.events.migrationStarted?.(migration);
    await this.withLockRetries(migration, migration.statements, () =>
      this.db.transaction(async () => {
        for (const statement of migration.statements) await this.run(migration, statement, false);
        await record(this.asLoginRole(), performance.now() - started).catch((error: unknown) => {
          throw ledgerBrokenError(migration, error);
        });
      }),
    );
    await this.resetSession();
    const durationMs = performance.now() - started;
    this.events.migrationApplied?.(migration, durationMs);
    return durationMs;
  }

  /**
   * A migration whose statements all run in a transaction, in one round trip
   * with its ledger row and the session's reset after it: BEGIN, its
   * statements, the ledger write as the login role, COMMIT, the reset. The
   * server stops at the first statement that fails; which one it was decides
   * what is said, as if each had been sent alone.
   */
  private async applyInOneTransaction(migration: Migration): Promise<void> {
    await this.withLockRetries(migration, migration.statements, async () => {
      const statements = migration.statements.map((statement) => statement.text);
      // The commit does not wait for the disk: flush(), at the end of the run, waits once for every migration before it.
      const ledger = [...this.asLoginRoleStatements(), await this.ledger.appliedSql(migration), 'SET LOCAL synchronous_commit = off'];
      const commit = 1 + statements.length + ledger.length;
      const script = ['BEGIN', ...statements, ...ledger, 'COMMIT', ...this.resetStatements()];
      // A migration that changes how the server reads SQL text changes it for the statements after it: sent one by one.
      const changesReading = migration.statements.some((statement) => statement.kind === 'VariableSetStmt' && statement.node.name === 'standard_conforming_strings');
      const oneMessage = this.oneMessage && !changesReading;
      let results: { rows: unknown[] }[];
      try {
        results = await this.db.script(script, oneMessage);
      } catch (error) {
        if (!(error instanceof ScriptError)) throw error;
        // Harmless when the transaction is over; needed when it failed part way.
        await this.db.query('ROLLBACK').catch(() => {});
        if (error.index > commit) {
          // Committed (without waiting for the disk): the reset after it failed. flush() must still cover it.
          this.unflushed = migration;
          throw new AstraError(`${named(migration)} was applied, but resetting the session after it failed: ${errorMessage(error.cause)}.`, {
            exitCode: EXIT_FAILED,
            cause: error.cause,
            database: 'changed',
            fix: 'Run astra migrate up again: it applies the migrations after it.',
          });
        }
        // One message: the COMMIT may have gone with it. One by one: the COMMIT was not sent, so the server rolls back.
        if (!error.fromServer && (oneMessage || error.index >= commit)) throw connectionLostError(migration, error.cause);
        if (error.index === 0) throw error.cause;
        if (error.index === commit) throw new StatementError(commitOf(migration), error.cause, false);
        if (error.index > statements.length) throw ledgerBrokenError(migration, error.cause);
        throw new StatementError(migration.statements[error.index - 1]!, error.cause, false);
      }
      this.unflushed = migration;
      await this.afterReset(results);
    });
  }

  /**
   * Waits until the migrations this runner committed are on disk: one commit
   * that waits for its WAL as the session's synchronous_commit says (on, by
   * default; with synchronous standbys, for them too). WAL is written in
   * order, so that wait covers every commit before it. The transaction
   * rewrites the last migration's ledger row as it is, as the role that
   * logged in: a commit that wrote nothing to the WAL would not wait. A run
   * calls it before it reports, whether it succeeded or stopped.
   *
   * Why each migration does not wait itself: a commit that waits costs a
   * flush of the WAL to disk, most of a small migration's time, and a run of
   * a few hundred migrations paid it a few hundred times. Each migration is
   * still one transaction with its ledger row: a server that crashes during
   * the run loses at most the last migrations that committed, each together
   * with its row (the next run applies them again), and nothing once flush()
   * has returned.
   */
  async flush(): Promise<void> {
    const last = this.unflushed;
    if (!last) return;
    // synchronous_commit as the server, database and role set it: a migration that failed may have left its own SET.
    const script = ['BEGIN', 'SET LOCAL synchronous_commit TO DEFAULT', ...this.asLoginRoleStatements(), this.ledger.rewriteSql(last.version), 'COMMIT'];
    try {
      await this.db.script(script, this.oneMessage);
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => {});
      throw flushError(last, error);
    }
    this.unflushed = undefined;
  }

  private async applyInSteps(migration: Migration, fromStatement: number, started: number, resuming: boolean, interrupted: boolean): Promise<void> {
    const remaining = migration.statements.slice(fromStatement);
    if (!resuming) await this.ledger.recordStarted(migration, 0);
    for (const group of statementGroups(remaining)) {
      const first = group[0]!;
      const next = first.index + group.length;
      if (first.outsideTransaction && (await this.buildsOnPartitionedTable(first))) {
        // PostgreSQL cannot index a partitioned table CONCURRENTLY: ON ONLY, each partition CONCURRENTLY, ATTACH.
        await this.buildPartitionedIndex(migration, first);
        await this.recordAsLoginRole(() => this.ledger.recordProgress(migration.version, next));
      } else if (first.outsideTransaction && first.writtenAs && (await this.onPartitionedRelation(first))) {
        // PostgreSQL cannot index a partitioned table CONCURRENTLY: run it as the file wrote it.
        await this.withLockRetries(migration, group, () =>
          this.db.transaction(async () => {
            await this.run(migration, { ...first, text: first.writtenAs! }, true);
            await this.db.query(this.asLoginRole());
            await this.ledger.recordProgress(migration.version, next);
          }),
        );
      } else if (first.outsideTransaction && resuming && interrupted && first.index === fromStatement && (await this.indexBuilt(first))) {
        // Cut off while it built the index, the session went on and finished it: the statement is done.
        this.events.indexFoundBuilt?.(migration, concurrentIndexName(first)!.name);
        await this.recordAsLoginRole(() => this.ledger.recordProgress(migration.version, next));
      } else if (first.outsideTransaction && detachedPartition(first)) {
        this.events.statementOutside?.(migration, first);
        await this.detachConcurrently(migration, first, resuming && first.index === fromStatement);
        await this.recordAsLoginRole(() => this.ledger.recordProgress(migration.version, next));
      } else if (first.outsideTransaction) {
        this.events.statementOutside?.(migration, first);
        await this.withLockRetries(migration, group, async () => {
          await this.dropInvalidIndexBeforeBuild(migration, first);
          await this.run(migration, first, true);
        });
        await this.recordAsLoginRole(() => this.ledger.recordProgress(migration.version, next));
      } else {
        await this.withLockRetries(migration, group, () =>
          this.db.transaction(async () => {
            for (const statement of group) await this.run(migration, statement, true);
            await this.db.query(this.asLoginRole());
            await this.ledger.recordProgress(migration.version, next);
          }),
        );
      }
    }
    await this.recordAsLoginRole(() => this.ledger.recordApplied({ ...migration, durationMs: performance.now() - started }));
  }

  /** Runs one statement; a failure becomes a MigrationFailedError (recorded when `dirty`). */
  private async run(migration: Migration, statement: Statement, dirty: boolean): Promise<void> {
    try {
      await this.db.query(statement.text);
    } catch (error) {
      throw new StatementError(statement, error, dirty);
    }
  }

  private async withLockRetries(
    migration: Migration,
    group: Statement[],
    attempt: () => Promise<void>,
    options: { resumable: boolean; undoing?: boolean } = { resumable: true },
  ): Promise<void> {
    const tries = this.policy.lockRetries + 1;
    for (let n = 1; ; n++) {
      try {
        await attempt();
        return;
      } catch (error) {
        if (!(error instanceof StatementError)) throw error;
        const lockTimedOut = isPgError(error.cause) && error.cause.code === LOCK_NOT_AVAILABLE;
        // The connection may be gone (that may be the failure): what follows must not hide the real error.
        // A build left INVALID is dropped here or, failing that, before the next build of it.
        await this.dropInvalidIndexAfterFailure(migration, error.statement).catch(() => {});
        if (lockTimedOut && n < tries) {
          const delayMs = Math.min(this.policy.retryBaseMs * 2 ** (n - 1), 30_000);
          this.events.lockRetry?.(migration, error.statement, n + 1, tries, delayMs);
          await sleep(delayMs);
          continue;
        }
        if (error.dirty) {
          // Unrecorded, the ledger still points at the group that failed: resuming stays right.
          await this.recordAsLoginRole(() =>
            this.ledger.recordFailure(migration.version, {
              nextStatement: options.resumable ? group[0]!.index : null,
              statement: error.statement.text,
              error: errorMessage(error.cause),
            }),
          ).catch(() => {});
        }
        const cause = lockTimedOut ? new Error(`${errorMessage(error.cause)}, ${tries} times with lock_timeout ${this.policy.lockTimeoutMs}ms: another session holds a conflicting lock`) : error.cause;
        throw new MigrationFailedError(migration, error.statement, cause, error.dirty, options.resumable, options.undoing === true);
      }
    }
  }

  /**
   * Whether `statement` builds a named index CONCURRENTLY on a partitioned
   * table whose partitions can all be indexed (no foreign table among them):
   * what buildPartitionedIndex does without blocking writes.
   */
  private async buildsOnPartitionedTable(statement: Statement): Promise<boolean> {
    if (statement.kind !== 'IndexStmt' || statement.node.concurrent !== true || typeof statement.node.idxname !== 'string') return false;
    // ON ONLY written by the migration itself: its author builds the partitions' indexes, as the statement says.
    if (writtenOnOnly(statement.node)) return false;
    const table = relationSql(statement.node.relation);
    if (!table) return false;
    const { rows } = await this.db.query<{ online: boolean }>(
      `SELECT c.relkind = 'p' AND NOT EXISTS (SELECT 1 FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE p.relkind = 'f') AS online
         FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [table],
    );
    return rows[0]?.online === true;
  }

  /**
   * Builds `statement`'s index on a partitioned table without blocking
   * writes (see partitioned-index.ts): the parent's index ON ONLY, each
   * partition's CONCURRENTLY, each attached. Steps already done (a run cut
   * off part way) are not done again; an INVALID partition index left by a
   * failed build is dropped and built again.
   */
  private async buildPartitionedIndex(migration: Migration, statement: Statement): Promise<void> {
    // The statements below are written from the statement's tokens: the parser must be loaded (loadMigrations may have found every file in its cache).
    await loadParser();
    const { rows } = await this.db.query<{ oid: string; schema: string; name: string }>(
      `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
      [relationSql(statement.node.relation)],
    );
    const table = rows[0]!;
    /** One step outside a transaction, under lock_timeout with retries. `node` is what a failure cleans up after (an INVALID concurrent build). */
    const step = async (sql: string, reason: string, node: Record<string, unknown> = { ...statement.node, concurrent: false }): Promise<void> => {
      const shown: Statement = { ...statement, text: sql, node, outsideTransaction: reason };
      this.events.statementOutside?.(migration, shown);
      await this.withLockRetries(migration, [shown], () => this.run(migration, shown, true));
    };
    const indexNamed = async (qualified: string) =>
      (
        await this.db.query<{ valid: boolean; table: string; parent: string | null }>(
          `SELECT i.indisvalid AS valid, i.indrelid::int8::text AS table, (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = i.indexrelid) AS parent
             FROM pg_index i WHERE i.indexrelid = to_regclass($1)`,
          [qualified],
        )
      ).rows[0];
    /** The index of `partition` attached to `parentIndex`, if one is. */
    const attachedOf = async (parentIndex: string, partition: string) =>
      (
        await this.db.query<{ name: string; valid: boolean }>(
          `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_inherits h JOIN pg_index i ON i.indexrelid = h.inhrelid JOIN pg_class c ON c.oid = i.indexrelid
            WHERE h.inhparent = to_regclass($1) AND i.indrelid = $2::int8::oid`,
          [parentIndex, partition],
        )
      ).rows[0];
    /** The index `index` on the partitioned table `of`, and on every partition below it; returns its qualified name. */
    const build = async (of: { oid: string; schema: string; name: string }, index: string): Promise<string> => {
      const qualifiedTable = `${quoteIdent(of.schema)}.${quoteIdent(of.name)}`;
      const qualifiedIndex = `${quoteIdent(of.schema)}.${quoteIdent(index)}`;
      const existing = await indexNamed(qualifiedIndex);
      if (existing && existing.table !== of.oid) {
        throw operationError(
          `Migration ${migration.version} (${migration.file}): an index named ${of.schema}.${index} already exists on another table, so the index on ${of.name} cannot take that name; nothing of it was built.`,
          'Give the index another name in the migration (it has not been applied), then run again.',
        );
      }
      if (existing?.valid) return qualifiedIndex;
      if (!existing) await step(indexStatementFor(statement, { index, table: qualifiedTable, only: true }), `the index of partitioned ${of.name} alone (ON ONLY), valid once each partition has its own`);
      const { rows: partitions } = await this.db.query<{ oid: string; schema: string; name: string; kind: string }>(
        `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE i.inhparent = $1::int8::oid ORDER BY c.relname`,
        [of.oid],
      );
      for (const partition of partitions) {
        const attached = await attachedOf(qualifiedIndex, partition.oid);
        if (attached?.valid) continue;
        if (attached) {
          // A sub-partitioned partition whose own partitions are not all indexed yet.
          await build(partition, attached.name);
          continue;
        }
        // A name of its own: the derived one, numbered when another table's index or another parent's has it.
        let name = partitionIndexName(index, of.name, partition.name);
        for (let n = 1; ; n++) {
          const found = await indexNamed(`${quoteIdent(partition.schema)}.${quoteIdent(name)}`);
          if (!found || (found.table === partition.oid && found.parent === null)) break;
          name = numberedName(partitionIndexName(index, of.name, partition.name), n);
        }
        const child = `${quoteIdent(partition.schema)}.${quoteIdent(name)}`;
        if (partition.kind === 'p') {
          await build(partition, name);
        } else {
          const state = await indexNamed(child);
          if (state && !state.valid) {
            await step(`DROP INDEX CONCURRENTLY IF EXISTS ${child}`, 'an INVALID index left by a failed build, dropped to build it again');
            this.events.invalidIndexDropped?.(migration, `${partition.schema}.${name}`);
          }
          if (!state?.valid) {
            // Marked as the concurrent build it is: a failure or a lock timeout drops the INVALID index it leaves, before a retry.
            const node = { ...statement.node, concurrent: true, idxname: name, relation: { relname: partition.name, schemaname: partition.schema } };
            await step(
              indexStatementFor(statement, { index: name, table: `${quoteIdent(partition.schema)}.${quoteIdent(partition.name)}`, concurrently: true }),
              `partition ${partition.name}'s index, CONCURRENTLY,`,
              node,
            );
          }
        }
        await step(`ALTER INDEX ${qualifiedIndex} ATTACH PARTITION ${child}`, `attaching partition ${partition.name}'s index`);
      }
      return qualifiedIndex;
    };
    const built = await build(table, String(statement.node.idxname));
    if (!(await indexNamed(built))?.valid) {
      throw operationError(
        `Migration ${migration.version} (${migration.file}): the index ${built} on partitioned ${table.name} is still INVALID after every partition's index was attached; it was left as it is.`,
        `Look at its partitions' indexes (\\d+ ${table.name} in psql), then run astra migrate up again: it finishes what is missing.`,
      );
    }
  }

  /**
   * ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY runs in two
   * transactions; one cut off in its second (a lock timeout, a kill) leaves
   * the partition "pending detach", and the statement cannot run again on it:
   * FINALIZE completes it. Tried again (a retry, a resumed run), a partition
   * no longer attached is detached already.
   */
  private async detachConcurrently(migration: Migration, statement: Statement, resumed: boolean): Promise<void> {
    const parent = relationSql(statement.node.relation)!;
    const partition = detachedPartition(statement)!;
    let again = resumed;
    await this.withLockRetries(migration, [statement], async () => {
      const tried = again;
      again = true;
      // A detach left pending (cut off in its second transaction, perhaps by another run) is finished; tried
      // before, a partition that exists and is no longer one is detached. (Before PostgreSQL 14 there is no pending.)
      const state = await this.db
        .query<{ attached: boolean; pending: boolean | null }>(
          `SELECT c.relispartition AS attached, (SELECT i.inhdetachpending FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = to_regclass($2)) AS pending
             FROM pg_class c WHERE c.oid = to_regclass($1)`,
          [partition, parent],
        )
        .then((result) => result.rows[0])
        .catch(() => undefined);
      if (tried && state && !state.attached) return;
      const finalize = state?.pending === true;
      await this.run(migration, finalize ? { ...statement, text: `ALTER TABLE ${parent} DETACH PARTITION ${partition} FINALIZE` } : statement, true);
    });
  }

  /**
   * Whether a rewritten CREATE INDEX or DROP INDEX works on a partitioned table
   * or index, which PostgreSQL cannot do CONCURRENTLY. (REINDEX ... CONCURRENTLY
   * of a partitioned table or index works, partition by partition, outside a
   * transaction block, which is where the runner puts it.)
   */
  private async onPartitionedRelation(statement: Statement): Promise<boolean> {
    let name: string | undefined;
    if (statement.kind === 'IndexStmt') {
      name = relationSql(statement.node.relation);
    } else if (statement.kind === 'DropStmt') {
      const items = ((statement.node.objects as { List?: { items?: { String?: { sval?: string } }[] } }[] | undefined)?.[0]?.List?.items ?? []).map((item) => item.String?.sval ?? '');
      if (items.length > 0) name = items.map(quoteIdent).join('.');
    }
    if (!name) return false;
    const { rows } = await this.db.query<{ relkind: string | null }>('SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)) AS relkind', [name]);
    return rows[0]?.relkind === 'p' || rows[0]?.relkind === 'I';
  }

  /**
   * CREATE INDEX CONCURRENTLY IF NOT EXISTS would keep an INVALID index left by
   * an earlier failed build and call it done: drop such an index first.
   */
  private async dropInvalidIndexBeforeBuild(migration: Migration, statement: Statement): Promise<void> {
    if (statement.kind === 'IndexStmt' && statement.node.concurrent) await this.dropInvalidIndexAfterFailure(migration, statement);
  }

  /** Whether the index a CREATE INDEX CONCURRENTLY makes exists on the statement's table, and is valid. */
  private async indexBuilt(statement: Statement): Promise<boolean> {
    const target = concurrentIndexName(statement);
    const table = relationSql(statement.node.relation);
    if (!target || !table) return false;
    const { rows } = await this.db.query<{ valid: boolean }>(
      `SELECT i.indisvalid AS valid
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $1 AND ($2::text IS NULL OR n.nspname = $2) AND i.indrelid = to_regclass($3)`,
      [target.name, target.schema ?? null, table],
    );
    return rows.length > 0 && rows.every((row) => row.valid);
  }

  private async dropInvalidIndexAfterFailure(migration: Migration, statement: Statement): Promise<void> {
    const target = concurrentIndexName(statement);
    if (!target) return;
    const { rows } = await this.db.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND c.relname = $1 AND ($2::text IS NULL OR n.nspname = $2) AND pg_table_is_visible(i.indrelid)`,
      [target.name, target.schema ?? null],
    );
    for (const row of rows) {
      await this.db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(row.schema)}.${quoteIdent(row.name)}`);
      this.events.invalidIndexDropped?.(migration, `${row.schema}.${row.name}`);
    }
  }
}

class StatementError extends Error {
  constructor(
    readonly statement: Statement,
    override readonly cause: unknown,
    readonly dirty: boolean,
  ) {
    super(errorMessage(cause));
  }
}

/** The partition (as SQL) an ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY detaches; undefined for any other statement. */
function detachedPartition(statement: Statement): string | undefined {
  return statement.kind === 'AlterTableStmt' ? relationSql(concurrentDetach(statement.node)) : undefined;
}

/** The COMMIT that ends a migration's transaction, as a statement after its last, for what is said when it fails. */
function commitOf(migration: Migration): Statement {
  const last = migration.statements.at(-1);
  return { index: migration.statements.length, text: 'COMMIT', line: last?.line ?? 1, kind: 'TransactionStmt', node: { kind: 'TRANS_STMT_COMMIT' } };
}

/** A RangeVar as SQL: `"schema"."name"` or `"name"`; undefined without one. */
function relationSql(value: unknown): string | undefined {
  const relation = value as { relname?: string; schemaname?: string } | undefined;
  if (!relation?.relname) return undefined;
  return relation.schemaname ? `${quoteIdent(relation.schemaname)}.${quoteIdent(relation.relname)}` : quoteIdent(relation.relname);
}

/** The name of the index a CREATE INDEX CONCURRENTLY builds, when it names one. */
export function concurrentIndexName(statement: Statement): { name: string; schema?: string } | undefined {
  if (statement.kind !== 'IndexStmt' || !statement.node.concurrent) return undefined;
  const name = statement.node.idxname;
  if (typeof name !== 'string') return undefined;
  const relation = statement.node.relation as { schemaname?: string } | undefined;
  return relation?.schemaname ? { name, schema: relation.schemaname } : { name };
}
