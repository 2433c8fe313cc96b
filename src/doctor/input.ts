import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import type { Database } from '../db/database.js';
import type { ConnectionTarget } from '../db/connection.js';
import { Ledger, type LedgerRow } from '../db/ledger.js';
import { timedConnect, type TimedConnection } from './connect.js';
import { foreignManager, type ForeignManager } from '../migrations/fresh.js';
import { loadMigrations, readMigrationFiles, readRepeatableFiles, type Migration, type MigrationFile, type VersionRange } from '../migrations/load.js';
import { openParseCache } from '../parse-cache.js';
import { RepeatableLedger } from '../db/repeatable-ledger.js';
import type { ConnectionFacts, DoctorDatabase, DoctorInput } from './types.js';
import type { SeedCatalog } from '../seed/catalog.js';

/** Where doctor looks: the database and the folders of this run. */
export interface DoctorContext {
  target: ConnectionTarget;
  /** A connection to use as it is (the upgrade's own); when absent, doctor opens one and closes it. */
  database?: Database;
  /** A connection already being opened for this run (when `database` is absent): doctor uses it and closes it. */
  opening?: Promise<TimedConnection>;
  migrationsDir: string;
  /** Only these versions of the folder are this database's (a project's range of a shared folder). */
  versions?: VersionRange | undefined;
  backupDir: string;
  /** A project's seed catalogs, compared with their tables by the seed-catalogs check. */
  seeds?: SeedCatalog[] | undefined;
}

export interface InputOptions {
  pgBinDir?: string;
  healthUrl?: string;
  healthTimeoutMs: number;
  checkTimeoutMs: number;
  now: Date;
}

/** Runs `work` once, on first call; later calls share its promise. */
function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= work();
    return result;
  };
}

/** Runs work on the connection one piece at a time, in the order asked: checks run in parallel but share it. */
function serialOn(db: Database): <T>(work: (db: Database) => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = last.then(() => work(db));
    last = next.catch(() => {});
    return next;
  };
}

/**
 * Doctor's own session never waits long: a query that would queue behind
 * another session's lock gives up and says so rather than stall the report.
 */
async function limitSession(db: Database, checkTimeoutMs: number): Promise<void> {
  const lockTimeoutMs = Math.max(100, Math.min(2000, Math.floor(checkTimeoutMs / 2)));
  await db.query("SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)", [`${checkTimeoutMs}ms`, `${lockTimeoutMs}ms`]);
}

/** The shared input of one doctor run, and how to release what it opened. */
export function createDoctorInput(context: DoctorContext, options: InputOptions): { input: DoctorInput; close: () => Promise<void> } {
  const runOver = new AbortController();
  // Every check of the run listens on it: more than Node's default of 10.
  setMaxListeners(0, runOver.signal);
  // The run's own connection (none when it was handed one): opened on first need unless already on its way; closed by close().
  let opening: Promise<TimedConnection> | undefined = context.database ? undefined : context.opening;
  const connected = once(async (): Promise<{ serial: ReturnType<typeof serialOn>; facts: ConnectionFacts }> => {
    let db = context.database;
    let connectMs: number | undefined;
    if (!db) {
      opening ??= timedConnect(context.target, options.checkTimeoutMs);
      ({ database: db, connectMs } = await opening);
      await limitSession(db, options.checkTimeoutMs);
    }
    // Measured before any check queues a query on the connection.
    const started = performance.now();
    const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
    const facts: ConnectionFacts = { connectMs, roundTripMs: performance.now() - started, user: rows[0]?.user ?? '' };
    return { serial: serialOn(db), facts };
  });
  const database = async (): Promise<DoctorDatabase> => {
    const { serial } = await connected();
    return { query: <Row extends object>(sql: string, params: unknown[] = []) => serial((db) => db.query(sql, params) as Promise<{ rows: Row[] }>) };
  };
  // The checks read the statements' parse trees, never the parser: a folder read before costs no WebAssembly.
  const migrationFiles = once((): Promise<MigrationFile[]> => readMigrationFiles(context.migrationsDir, context.versions));
  const migrations = once((): Promise<Migration[]> => loadMigrations(context.migrationsDir, context.versions, { parser: 'unneeded', files: migrationFiles() }));
  const derivedCache = (purpose: string) => openParseCache(`${purpose}\n${resolve(context.migrationsDir)}\n${JSON.stringify(context.versions ?? null)}`);
  const ledgerRows = once(async (): Promise<LedgerRow[]> => {
    const { serial } = await connected();
    return serial(async (db) => (await Ledger.open(db, { create: false })).rows());
  });
  const changedRepeatables = once(async (): Promise<string[]> => {
    const files = readRepeatableFiles(context.migrationsDir);
    if (files.length === 0) return [];
    const { serial } = await connected();
    const changed = await serial(async (db) => (await RepeatableLedger.open(db, await Ledger.open(db, { create: false }))).changed(files));
    return changed.map((file) => file.file);
  });
  const foreignManagerOnce = once(async (): Promise<ForeignManager | undefined> => {
    const [{ serial }, known] = await Promise.all([connected(), migrations()]);
    return serial((db) => foreignManager(db, known));
  });
  const input: DoctorInput = {
    target: context.target,
    database,
    connectionFacts: async () => (await connected()).facts,
    migrations,
    migrationFiles,
    derivedCache,
    ledgerRows,
    changedRepeatables,
    foreignManager: foreignManagerOnce,
    migrationsDir: context.migrationsDir,
    backupDir: context.backupDir,
    seeds: context.seeds ?? [],
    pgBinDir: options.pgBinDir,
    healthUrl: options.healthUrl,
    healthTimeoutMs: options.healthTimeoutMs,
    now: options.now,
    signal: runOver.signal,
  };
  return {
    input,
    close: async () => {
      runOver.abort();
      const db = await opening?.then(
        (timed) => timed.database,
        () => undefined,
      );
      // Without waiting for the server's process to exit: a connection this process opens later waits for that (Database.close).
      await db?.close({ waitForServer: false });
    },
  };
}
