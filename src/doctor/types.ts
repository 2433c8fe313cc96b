import type { ConnectionTarget } from '../db/connection.js';
import type { ForeignManager } from '../migrations/fresh.js';
import type { LedgerRow } from '../db/ledger.js';
import type { Migration, MigrationFile } from '../migrations/load.js';
import type { ParseCache } from '../parse-cache.js';
import type { SeedCatalog } from '../seed/catalog.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What a check found. A fix is required whenever the status is not ok. */
export type CheckOutcome = { status: 'ok'; detail: string; fix?: undefined } | { status: 'warn' | 'fail'; detail: string; fix: string };

/** Areas group the report, in this order. */
export const CHECK_AREAS = ['database', 'schema', 'tools', 'backups', 'application'] as const;
export type CheckArea = (typeof CHECK_AREAS)[number];

/** The connection as checks use it: one query at a time, in the order asked. */
export interface DoctorDatabase {
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** Measured when the connection was opened, before any check queued a query on it. */
export interface ConnectionFacts {
  /** How long opening it took; undefined for a connection that was handed in already open. */
  connectMs: number | undefined;
  roundTripMs: number;
  user: string;
}

/**
 * Everything a check may look at, passed in rather than imported. Resources
 * are opened on first use and shared by all checks of one run.
 */
export interface DoctorInput {
  target: ConnectionTarget;
  /** The open connection; rejects with a sentence naming the cause when the server cannot be reached. */
  database(): Promise<DoctorDatabase>;
  /** What opening the connection measured; rejects as database() does. */
  connectionFacts(): Promise<ConnectionFacts>;
  /** The package's migrations, read and parsed (the same reading as migrationFiles()); rejects with an input error for a bad folder. */
  migrations(): Promise<Migration[]>;
  /** The package's migration files, read (names, checksums) but not parsed; rejects as migrations() does for a bad folder. */
  migrationFiles(): Promise<MigrationFile[]>;
  /**
   * A shelf of the CLI's parse cache (src/parse-cache.ts) for what a check
   * derives from this run's migrations folder, `purpose` naming what; absent
   * or undefined when the cache is off (the library, ASTRA_CACHE_DIR=off).
   */
  derivedCache?(purpose: string): ParseCache | undefined;
  /** astra's ledger of the database; empty when it has none. */
  ledgerRows(): Promise<LedgerRow[]>;
  /** The folder's repeatable migrations (R__) that are new or changed since last applied: the next migrate up runs them; absent: not looked for. */
  changedRepeatables?(): Promise<string[]>;
  /** The other migration tool that migrated the database and astra has not adopted from, if any; absent: not looked for. */
  foreignManager?(): Promise<ForeignManager | undefined>;
  migrationsDir: string;
  backupDir: string;
  /** The seed catalogs of a project's database (none without a project file). */
  seeds: SeedCatalog[];
  /** Where pg_dump and pg_restore are (--pg-bin-dir or ASTRA_PG_BIN_DIR); undefined: search PATH and the usual places. */
  pgBinDir: string | undefined;
  healthUrl: string | undefined;
  healthTimeoutMs: number;
  now: Date;
  /** Aborted when the check has run out of time or the run is over: work that can be cancelled listens to it. */
  signal: AbortSignal;
}

/** One health check: a file under checks/ named by its id, listed in the registry. */
export interface DoctorCheck {
  id: string;
  title: string;
  area: CheckArea;
  /**
   * How the check relates to the connection. 'needs': it runs once connected,
   * and fails as "skipped: no connection" when that failed. 'reports': it runs
   * once the attempt to connect has ended, whatever the outcome, and reports
   * on it. 'none': it does not use the database.
   */
  connection: 'needs' | 'reports' | 'none';
  /** Whether the check applies to this run at all (health-url only with --health-url). */
  enabled?: (input: DoctorInput) => boolean;
  /** Starts work that needs no connection (looking for programs), called before the connection is awaited; run takes it up. */
  prepare?: (input: DoctorInput) => void;
  run(input: DoctorInput): Promise<CheckOutcome>;
}

/** One line of the report, as --json prints it. */
export interface CheckResult {
  id: string;
  title: string;
  area: CheckArea;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface DoctorReport {
  /** No check failed (and, with strict, none warned). */
  ok: boolean;
  database: string;
  summary: { ok: number; warn: number; fail: number };
  checks: CheckResult[];
}
