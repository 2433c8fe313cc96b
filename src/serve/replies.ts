import { AstraError, EXIT_FAILED } from '../index.js';

/** What a route answers: the HTTP status and the JSON body. */
export interface Reply {
  status: number;
  body: object;
}

/** An error as the CLI's --json shows it: message, fix and exit code (the messages never hold a password or the secret). */
export function errorBody(error: unknown): { message: string; fix: string | null; exitCode: number } {
  if (error instanceof AstraError) return { message: error.message, fix: error.fix ?? null, exitCode: error.exitCode };
  return { message: `Unexpected error: ${error instanceof Error ? error.message : String(error)}`, fix: null, exitCode: EXIT_FAILED };
}

/** A failure of one database of a project, as `databases[name]` holds it. */
export function failureEntry(error: unknown): { ok: false; error: ReturnType<typeof errorBody> } {
  return { ok: false, error: errorBody(error) };
}
