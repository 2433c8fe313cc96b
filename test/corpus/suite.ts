import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeMigrations, type AnalysisOptions, type MigrationSource } from '../../src/analysis/analyze.js';
import { readDatabaseFacts } from '../../src/analysis/database-facts.js';
import { lockStrength } from '../../src/analysis/locks.js';
import { Database } from '../../src/db/database.js';
import { loadParser, parseStatements } from '../../src/migrations/parse.js';
import { repoRoot } from '../helpers/cli.js';
import { measureInTransaction, measureOutsideTransaction, type CorpusSessions, type Measurement } from './measure.js';

interface CorpusEntry {
  id: string;
  /** Names of shared setups, or SQL. */
  setup: string[];
  sql: string;
  table: string;
  /** The first major that has the statement. */
  since?: number;
}

/** A server to measure on, and how to let it go. */
export interface CorpusServer {
  config: pg.ClientConfig;
  label: string;
  close(): Promise<void>;
}

const corpus = JSON.parse(readFileSync(join(repoRoot, 'test', 'corpus', 'locks.json'), 'utf8')) as { setups: Record<string, string>; entries: CorpusEntry[] };
const setupSql = (entry: CorpusEntry) => entry.setup.map((part) => corpus.setups[part] ?? part).join('\n');

/** A role for GRANT and REVOKE (roles belong to the whole server: made once, kept). */
const ROLE = 'astra_corpus_reader';
/** A second tablespace, in the data folder (allow_in_place_tablespaces), for SET TABLESPACE. */
const TABLESPACE = 'astra_corpus_space';

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
async function analyzed(entry: CorpusEntry, major: number, lintDatabase: Database) {
  const setup = setupSql(entry);
  const file = `${entry.id}.sql`;
  const statements = parseStatements(entry.sql, file);
  const source = { file, sql: entry.sql, statements };
  const fromSql = effectOn(entry, [{ file: 'setup.sql', sql: setup, statements: parseStatements(setup, 'setup.sql') }, source], {
    serverMajor: major,
  });
  const fromDatabase = effectOn(entry, [source], { database: await readDatabaseFacts(lintDatabase, statements) });
  return { fromSql, fromDatabase, outsideTransaction: statements.find((statement) => statement.outsideTransaction)?.outsideTransaction };
}

/**
 * Measures every corpus entry the server's major has on `open()`'s server and
 * compares lint's answers with what was measured (test/integration/lock-corpus*.test.ts,
 * one file per major). $ASTRA_CORPUS_SNAPSHOT, a folder, gets measured-<major>.json.
 */
export function lockCorpusSuite(major: number, open: () => Promise<CorpusServer>, unavailable?: string): void {
  if (unavailable) {
    describe.skip(`the lock model agrees with PostgreSQL ${major} (skipped: ${unavailable})`, () => {
      it('measures nothing here', () => {});
    });
    return;
  }
  const entries = corpus.entries.filter((entry) => (entry.since ?? 0) <= major);
  let server: CorpusServer;
  let sessions: CorpusSessions;
  /** The analyzer's connection, as lint --database-url opens it. */
  let lintDatabase: Database;
  const measurements: Record<string, { sql: string; table: string } & Measurement> = {};

  // Long enough for the first run of another major, which downloads its server programs.
  beforeAll(async () => {
    await loadParser();
    server = await open();
    const connect = async () => {
      const client = new pg.Client(server.config);
      client.on('error', () => {});
      await client.connect();
      return client;
    };
    sessions = { runner: await connect(), blocker: await connect(), observer: await connect(), probe: await connect() };
    lintDatabase = await Database.connect({ source: 'flag', config: server.config, label: server.label });
    const { rows } = await sessions.observer.query<{ major: number }>("SELECT current_setting('server_version_num')::int / 10000 AS major");
    if (rows[0]?.major !== major) throw new Error(`${server.label} runs PostgreSQL ${rows[0]?.major}, not ${major}.`);
    const admin = sessions.observer;
    await admin.query(`DO $$ BEGIN CREATE ROLE ${ROLE}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    if ((await admin.query('SELECT 1 FROM pg_tablespace WHERE spcname = $1', [TABLESPACE])).rowCount === 0) {
      await admin.query('SET allow_in_place_tablespaces = true');
      await admin.query(`CREATE TABLESPACE ${TABLESPACE} LOCATION ''`).catch((error: { code?: string }) => {
        if (error.code !== '42710' && error.code !== '23505') throw error; // made by another run in the meantime
      });
    }
  }, 300_000);

  afterAll(async () => {
    const snapshot = process.env.ASTRA_CORPUS_SNAPSHOT;
    if (snapshot) writeFileSync(join(snapshot, `measured-${major}.json`), `${JSON.stringify({ server: major, measurements }, null, 2)}\n`);
    await Promise.all((sessions ? clientsOf(sessions) : []).map((client) => client.end().catch(() => {})));
    await lintDatabase?.close().catch(() => {});
    await server?.close();
  });

  describe(`the lock model agrees with PostgreSQL ${major}`, () => {
    it('has at least 250 statements to measure', () => {
      expect(entries.length).toBeGreaterThanOrEqual(250);
      expect(new Set(corpus.entries.map((entry) => entry.id)).size).toBe(corpus.entries.length);
    });

    it.each(entries.map((entry) => [entry.id, entry] as const))('%s', async (id, entry) => {
      await sessions.runner.query(RESET);
      for (const client of clientsOf(sessions)) await client.query('RESET ALL');
      await sessions.runner.query(setupSql(entry));

      const expected = await analyzed(entry, major, lintDatabase);
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
}
