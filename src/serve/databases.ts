import type { AstraOptions } from '../index.js';

/**
 * One database `astra serve` serves: its name (the project file's, or
 * `default` for the one database of the flags), whether readiness waits for
 * it, and the library options that reach it. Everything about a database is
 * decided when the server starts, from the command line, the environment and
 * the project file: no request can name a URL, a folder or a credential.
 */
export interface ServedDatabase {
  name: string;
  /** Readiness counts this database (the project file's `required`; always for the one database of the flags). */
  required: boolean;
  options: AstraOptions;
}

/** The name of the one database served without a project file. */
export const DEFAULT_DATABASE_NAME = 'default';
