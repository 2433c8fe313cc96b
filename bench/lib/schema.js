import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The application schema of the benchmarks, as migration files: the first
 * creates the tables, the second adds an index to the big one, written as a
 * plain CREATE INDEX (astra runs it CONCURRENTLY because the table exists
 * before the migration).
 */
export const CREATE_TABLES = `CREATE TABLE events (
  id bigserial PRIMARY KEY,
  account text NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  actor text NOT NULL,
  action text NOT NULL,
  detail text NOT NULL
);
`;

export const INDEX_NAME = 'events_account_created_at_idx';
export const CREATE_INDEX = `CREATE INDEX ${INDEX_NAME} ON events (account, created_at)`;

/** Writes the two migrations into `dir` (golang-migrate naming). */
export function writeMigrations(dir) {
  writeFileSync(join(dir, '000001_create_events.up.sql'), CREATE_TABLES);
  writeFileSync(join(dir, '000002_index_events_by_account.up.sql'), `${CREATE_INDEX};\n`);
}

/** How many audit_log rows go with `events` rows. */
export const auditRowsFor = (events) => Math.floor(events / 2);

/**
 * Fills events with ids (from, to] and audit_log in proportion, generated on
 * the server: text columns of a few dozen to a hundred characters.
 */
export async function loadRows(client, fromEvents, toEvents) {
  await client.query(
    `INSERT INTO events (account, kind, payload, created_at)
     SELECT 'acct-' || md5((g % 50000)::text),
            (ARRAY['signup', 'login', 'purchase', 'refund', 'logout'])[1 + g % 5],
            md5(g::text) || ' ' || md5((g * 7)::text) || ' ' || md5((g * 13)::text),
            timestamptz '2026-01-01' + g * interval '1 second'
       FROM generate_series($1::bigint + 1, $2::bigint) AS g`,
    [fromEvents, toEvents],
  );
  await client.query(
    `INSERT INTO audit_log (actor, action, detail)
     SELECT 'user-' || (g % 1000), (ARRAY['create', 'update', 'delete'])[1 + g % 3], md5(g::text) || md5((g + 1)::text)
       FROM generate_series($1::bigint + 1, $2::bigint) AS g`,
    [auditRowsFor(fromEvents), auditRowsFor(toEvents)],
  );
  // Hint bits set and statistics fresh, so that the first run to read the tables pays no more than the next.
  await client.query('VACUUM (FREEZE, ANALYZE) events, audit_log');
}

/** Size of the database on disk, in bytes. */
export async function databaseBytes(client) {
  const { rows } = await client.query('SELECT pg_database_size(current_database())::bigint AS bytes');
  return Number(rows[0].bytes);
}
