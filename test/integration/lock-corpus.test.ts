import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analyzeMigrations } from '../../src/analysis/analyze.js';
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
/** What was measured, by entry: written to $ASTRA_CORPUS_SNAPSHOT when set (test/corpus/measured.json). */
const measurements: Record<string, { sql: string; table: string } & Measurement> = {};

beforeAll(async () => {
  await loadParser();
  db = await createTestDatabase();
  const connect = async () => {
    const client = new pg.Client(db.config);
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  sessions = { runner: await connect(), blocker: await connect(), observer: await connect() };
});

afterAll(async () => {
  const snapshot = process.env.ASTRA_CORPUS_SNAPSHOT;
  if (snapshot) writeFileSync(snapshot, `${JSON.stringify({ server: inject('postgres').major, measurements }, null, 2)}\n`);
  await Promise.all((sessions ? clientsOf(sessions) : []).map((client) => client.end().catch(() => {})));
  await db?.drop();
});

/** The three sessions' clients. */
const clientsOf = ({ runner, blocker, observer }: CorpusSessions): pg.Client[] => [runner, blocker, observer];

/** The analyzer's answer for the entry's table: the lock and rewrite of the statement as written. */
function analyzed(entry: CorpusEntry) {
  const setup = setupSql(entry);
  const file = `${entry.id}.sql`;
  const statements = parseStatements(entry.sql, file);
  const [, analysis] = analyzeMigrations(
    [
      { file: 'setup.sql', sql: setup, statements: parseStatements(setup, 'setup.sql') },
      { file, sql: entry.sql, statements },
    ],
    { concurrency: false, serverMajor: inject('postgres').major },
  );
  const effect = analysis!.statements[0]!.effects.find((candidate) => candidate.table === entry.table);
  return { lock: effect?.lock ?? null, rewrite: effect?.rewrite ?? false, outsideTransaction: statements[0]!.outsideTransaction };
}

describe('the lock model agrees with PostgreSQL', () => {
  it('has at least 60 statements to measure', () => {
    expect(corpus.entries.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.entries.map((entry) => entry.id)).size).toBe(corpus.entries.length);
  });

  it.each(corpus.entries.map((entry) => [entry.id, entry] as const))('%s', async (id, entry) => {
    const schema = `corpus_${id.replace(/-/g, '_')}`;
    await sessions.runner.query(`CREATE SCHEMA ${schema}`);
    for (const client of clientsOf(sessions)) await client.query(`SET search_path TO ${schema}, public`);
    await sessions.runner.query(setupSql(entry));

    const expected = analyzed(entry);
    const measured = expected.outsideTransaction
      ? await measureOutsideTransaction(sessions, entry.sql, entry.table)
      : await measureInTransaction(sessions.runner, entry.sql, entry.table);

    measurements[id] = { sql: entry.sql, table: entry.table, ...measured };
    expect({ lock: expected.lock, rewrite: expected.rewrite }, `${entry.sql} — measured ${measured.how}`).toEqual({
      lock: measured.lock,
      rewrite: measured.rewrite,
    });
  });
});
