/** Exit codes of the command-line contract. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export type ExitCode = typeof EXIT_FAILED | typeof EXIT_BAD_INPUT;

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

  constructor(message: string, options: { fix?: string; exitCode?: ExitCode; cause?: unknown; alreadyReported?: boolean; result?: object } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AstraError';
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? EXIT_FAILED;
    this.alreadyReported = options.alreadyReported === true;
    this.result = options.result;
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

/**
 * Thrown once an operation may have reached the database (a restore cut off at
 * its commit, a database left refusing connections): the caller must not add
 * "nothing was changed" to it.
 */
export class DatabaseMayHaveChangedError extends AstraError {}
