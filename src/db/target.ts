import type { ClientConfig } from 'pg';

/** Where the connection settings came from, in the order they are looked for. */
export type ConnectionSource = 'flag' | 'DATABASE_URL' | 'PG variables' | 'embedded';

export interface ConnectionTarget {
  source: ConnectionSource;
  /** Settings for `pg`; the password is in here and nowhere printable. */
  config: ClientConfig;
  /** host:port/database as a person reads it, never with the password. */
  label: string;
  /** Where a project file puts this database's objects and ledger; absent without one. */
  placement?: Placement;
}

/**
 * A project's say over where things go in a database: its migrations run
 * with `schema` first on the search path, and its ledger is `ledger`, found
 * by that name whatever the role's search_path says. Both are lower-case
 * SQL names (the project file's schema checks them).
 */
export interface Placement {
  schema: string;
  ledger: { schema: string; table: string };
  /** Its migrations' versions, when it has a range of a shared folder: ledger rows outside it belong to another database. */
  versions?: { from: number; to: number } | undefined;
}

/** The server's `host:port`, as messages name it. */
export function serverAddress(config: ClientConfig): string {
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}`;
}
