import type { ClientConfig } from 'pg';

/** Where the connection settings came from, in the order they are looked for. */
export type ConnectionSource = 'flag' | 'DATABASE_URL' | 'PG variables' | 'embedded';

export interface ConnectionTarget {
  source: ConnectionSource;
  /** Settings for `pg`; the password is in here and nowhere printable. */
  config: ClientConfig;
  /** host:port/database as a person reads it, never with the password. */
  label: string;
}
