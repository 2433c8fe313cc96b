import type { ClientConfig } from 'pg';
import { libpqEnvironment } from '../db/connection.js';

/**
 * The environment of a pg_dump, pg_restore or psql child reaching `config`'s
 * server, with `database` in place of its database. Credentials travel here,
 * never in argv. libpq variables that would send the child elsewhere than
 * `pg` goes (PGHOSTADDR, PGSERVICE) are removed.
 */
export function childEnvironment(config: ClientConfig, applicationName: string, database = config.database): Record<string, string | undefined> {
  return {
    ...libpqEnvironment({ ...config, database }),
    PGHOSTADDR: undefined,
    PGSERVICE: undefined,
    PGSERVICEFILE: undefined,
    PGAPPNAME: applicationName,
  };
}
