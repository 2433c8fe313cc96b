import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analyzeMigrations, type AnalysisOptions, type MigrationSource } from '../../src/analysis/analyze.js';
import { readDatabaseFacts } from '../../src/analysis/database-facts.js';
import { lockStrength } from '../../src/analysis/locks.js';
import { Database } from '../../src/db/database.js';
import { loadParser, parseStatements } from '../../src/migrations/parse.js';
import { measureInTransaction, measureOutsideTransaction, type CorpusSessions, type Measurement } from '../corpus/measure.js';
import { repoRoot } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

interface CorpusEntry {
  id: string;
  /** Names of shared setups, or SQL. */
  setup: string[];
  sql: string;
  table: string;
}

const corpus = JSON.parse(readFileSync(join(repoRoot, 'test', 'corpus', 'locks.json'), 'utf8')) as { setups: Record<string, string>; entries: CorpusEntry[] };
const setupSql = (entry: CorpusEntry) => entry.setup.map((part) => corpus.setups[part] ?? part).join('\n');

let db: TestDatabase;
let sessions: CorpusSessions;
/** The analyzer's connection, as lint --database-url opens it. */
let lintDatabase: Database;
/** What was measured, by entry: written to $ASTRA_CORPUS_SNAPSHOT when set (test/corpus/measured.json). */
const measurements: Record<string, { sql: string; table: string } & Measurement> = {};

/** A role for GRANT and REVOKE (roles belong to the whole server: made once, kept). */
const ROLE = 'astra_corpus_reader';
/** A second tablespace, in the data folder (allow_in_place_tablespaces), for SET TABLESPACE. */
const TABLESPACE = 'astra_corpus_space';

beforeAll(async () => {
  await loadParser();
  db = await createTestDatabase();
  const connect = async () => {
    const client = new pg.Client(db.config);
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  sessions = { runner: await connect(), blocker: await connect(), observer: await connect(), probe: await connect() };
  lintDatabase = await Database.connect({ source: 'flag', config: db.config, label: db.name });
  const admin = sessions.observer;
  await admin.query(`DO $$ BEGIN CREATE ROLE ${ROLE}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  if ((await admin.query('SELECT 1 FROM pg_tablespace WHERE spcname = $1', [TABLESPACE])).rowCount === 0) {
    await admin.query('SET allow_in_place_tablespaces = true');
    await admin.query(`CREATE TABLESPACE ${TABLESPACE} LOCATION ''`).catch((error: { code?: string }) => {
      if (error.code !== '42710') throw error; // made by another run in the meantime
    });
  }
});

afterAll(async () => {
  const snapshot = process.env.ASTRA_CORPUS_SNAPSHOT;
  if (snapshot) writeFileSync(snapshot, `${JSON.stringify({ server: inject('postgres').major, measurements }, null, 2)}\n`);
  await Promise.all((sessions ? clientsOf(sessions) : []).map((client) => client.end().catch(() => {})));
  await lintDatabase?.close().catch(() => {});
  await db?.drop();
});

/** The sessions' clients. */
const clientsOf = ({ runner, blocker, observer, probe }: CorpusSessions): pg.Client[] => [runner, blocker, observer, probe];

/** Each entry starts from an empty database: no schema but a new public, no publication, no extension but plpgsql. */
const RESET = `DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT pubname FROM pg_publication LOOP EXECUTE format('DROP PUBLICATION %I', r.pubname); END LOOP;
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP EXECUTE format('DROP EXTENSION %I CASCADE', r.extname); END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  CREATE SCHEMA public;
END $$`;

/** The effect the analysis gives the entry's statement on the entry's table. */
function effectOn(entry: CorpusEntry, sources: MigrationSource[], options: AnalysisOptions) {
  const analysis = analyzeMigrations(sources, { concurrency: false, ...options }).at(-1)!;
  // One statement, or a DO block and the statements in it: the strongest effect of them.
  const effect = analysis.statements
    .flatMap((statement) => statement.effects.filter((candidate) => candidate.table === entry.table))
    .sort((a, b) => (b.lock ? lockStrength(b.lock) : -1) - (a.lock ? lockStrength(a.lock) : -1))[0];
  return { lock: effect?.lock ?? null, rewrite: effect?.rewrite ?? false, blocks: effect?.blocks ?? 'none' };
}

/**
 * The analyzer's answers for the entry's table, for the statement as written:
 * from the SQL alone (the setup as an earlier migration of the folder, which is
 * what lint knows without a database), and from the database (the setup
 * applied, its facts read as lint --database-url reads them).
 */
async function analyzed(entry: CorpusEntry) {
  const setup = setupSql(entry);
  const file = `${entry.id}.sql`;
  const statements = parseStatements(entry.sql, file);
  const source = { file, sql: entry.sql, statements };
  const fromSql = effectOn(entry, [{ file: 'setup.sql', sql: setup, statements: parseStatements(setup, 'setup.sql') }, source], {
    serverMajor: inject('postgres').major,
  });
  const fromDatabase = effectOn(entry, [source], { database: await readDatabaseFacts(lintDatabase, statements) });
  return { fromSql, fromDatabase, outsideTransaction: statements.find((statement) => statement.outsideTransaction)?.outsideTransaction };
}

describe('the lock model agrees with PostgreSQL', () => {
  it('has at least 250 statements to measure', () => {
    expect(corpus.entries.length).toBeGreaterThanOrEqual(250);
    expect(new Set(corpus.entries.map((entry) => entry.id)).size).toBe(corpus.entries.length);
  });

  it.each(corpus.entries.map((entry) => [entry.id, entry] as const))('%s', async (id, entry) => {
    await sessions.runner.query(RESET);
    for (const client of clientsOf(sessions)) await client.query('RESET ALL');
    await sessions.runner.query(setupSql(entry));

    const expected = await analyzed(entry);
    const measured = expected.outsideTransaction
      ? await measureOutsideTransaction(sessions, entry.sql, entry.table)
      : await measureInTransaction(sessions, entry.sql, entry.table);

    measurements[id] = { sql: entry.sql, table: entry.table, ...measured };
    const observed = { lock: measured.lock, rewrite: measured.rewrite, blocks: measured.blocks };
    // Where only reads could be probed, the analyzer's "writes" cannot be told from "none".
    const comparable = (answer: typeof expected.fromSql) =>
      measured.writesProbed || answer.blocks !== 'writes' ? answer : { ...answer, blocks: 'none' as const };
    expect(comparable(expected.fromSql), `${entry.sql} (from the SQL) — measured ${measured.how}`).toEqual(observed);
    expect(comparable(expected.fromDatabase), `${entry.sql} (from the database) — measured ${measured.how}`).toEqual(observed);
  });
});
