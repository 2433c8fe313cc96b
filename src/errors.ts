import type { MigrationVersion } from './migration-version.js';

/** Exit codes of the command-line contract. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export type ExitCode = typeof EXIT_FAILED | typeof EXIT_BAD_INPUT;

/**
 * What an error says about the database it concerns, for the code that must
 * decide what to do next (and for machine output):
 *
 * - `unchanged`: nothing reached the database; it is as it was.
 * - `changed`: the database was changed (a restore committed, a migration
 *   applied, new connections left refused).
 * - `unknown`: it may or may not have changed (a restore or a swap cut off as
 *   it committed): look before acting.
 *
 * Absent, the error makes no claim: it is about input or files, or comes from
 * a step that does not know. Whoever catches it decides from what it recorded
 * itself (the rollback marks what it throws before changing anything as
 * `unchanged`). An error that sets the field tells the same state in its own
 * words (message or fix); the field is what code reads, never those words.
 */
export type DatabaseOutcome = 'unchanged' | 'changed' | 'unknown';

export interface AstraErrorOptions {
  fix?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  alreadyReported?: boolean;
  result?: object;
  /** What became of the database; see DatabaseOutcome. */
  database?: DatabaseOutcome;
  /**
   * The schema version (highest applied migration; null: none) the database
   * is at, when the error knows it. Named so rather than `version`, which
   * subclasses use for other things (MigrationFailedError: the migration's).
   */
  schemaVersion?: MigrationVersion | null;
}

/**
 * An error meant for a person: one sentence saying what is wrong, a hint saying
 * what to do next, and the exit code the command ends with. The original error,
 * when there is one, rides along as `cause` and is shown only with --debug.
 */
export class AstraError extends Error {
  readonly fix: string | undefined;
  readonly exitCode: ExitCode;
  /** The command printed its own result before failing (with --json, the one JSON document on stdout). */
  readonly alreadyReported: boolean;
  /** What the command found before it failed, for --json (e.g. lint's findings). */
  readonly result: object | undefined;
  /** What became of the database, when the error says; absent when it makes no claim (see DatabaseOutcome). */
  readonly database: DatabaseOutcome | undefined;
  /** The schema version the database is at, when known (null: no migration applied). */
  readonly schemaVersion: MigrationVersion | null | undefined;

  constructor(message: string, options: AstraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AstraError';
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? EXIT_FAILED;
    this.alreadyReported = options.alreadyReported === true;
    this.result = options.result;
    this.database = options.database;
    this.schemaVersion = options.schemaVersion;
  }
}

/** Bad usage or bad input: an unreadable file, invalid metadata, an unknown version. */
export function inputError(message: string, fix?: string, cause?: unknown): AstraError {
  return new AstraError(message, { fix, exitCode: EXIT_BAD_INPUT, cause });
}

/** The operation or a check failed. */
export function operationError(message: string, fix?: string, cause?: unknown): AstraError {
  return new AstraError(message, { fix, exitCode: EXIT_FAILED, cause });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `error` says became of the database; undefined when it makes no claim. */
export function databaseOutcomeOf(error: unknown): DatabaseOutcome | undefined {
  return error instanceof AstraError ? error.database : undefined;
}

/** Whether `error` says the database changed, or may have: the caller must not tell it as "nothing was changed". */
export function mayHaveChangedTheDatabase(error: unknown): boolean {
  const outcome = databaseOutcomeOf(error);
  return outcome === 'changed' || outcome === 'unknown';
}

/** The same error, saying `database` of the database (and keeping everything else), unless it already says something. */
export function withDatabaseOutcome(error: AstraError, database: DatabaseOutcome): AstraError {
  if (error.database !== undefined) return error;
  const copy = new AstraError(error.message, {
    ...(error.fix !== undefined ? { fix: error.fix } : {}),
    exitCode: error.exitCode,
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
    alreadyReported: error.alreadyReported,
    ...(error.result !== undefined ? { result: error.result } : {}),
    database,
    ...(error.schemaVersion !== undefined ? { schemaVersion: error.schemaVersion } : {}),
  });
  copy.stack = error.stack;
  return copy;
}
