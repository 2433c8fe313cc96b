import { formatMs } from '../duration.js';
import { versionList } from '../ui/format.js';
import { AstraError, EXIT_FAILED, inputError, operationError } from '../errors.js';
import type { ConnectionTarget } from '../db/target.js';
import type { Log } from '../ui/log.js';
import { Clickhouse, clickhouseMessage } from './connection.js';
import { ClickhouseLedger, type ClickhouseLedgerRow } from './ledger.js';
import { lockClickhouse } from './lock.js';
import { loadClickhouseDown, loadClickhouseMigrations, prefixChecksum, type ClickhouseMigration } from './migrations.js';

/** Where a ClickHouse database is and how astra runs on it (from the project file). */
export interface ClickhouseSettings {
  url: string;
  migrationsDir: string;
  versions?: { from: number; to: number } | undefined;
  ledgerTable: string;
  /** A PostgreSQL database of the same project, to hold the run lock in; else a lease in ClickHouse. */
  lockIn?: (() => Promise<ConnectionTarget | undefined>) | undefined;
}

export interface ClickhouseRun {
  log: Log;
  signal?: AbortSignal | undefined;
  lockWaitMs: number;
}

/** What `migrate up` would do, or did not do yet: the migrations to run and where an unfinished one resumes. */
export interface ClickhousePlan {
  applied: ClickhouseLedgerRow[];
  pending: ClickhouseMigration[];
  /** A migration that stopped part way: it resumes at statement `from` (0-based). */
  resume?: { migration: ClickhouseMigration; from: number; row: ClickhouseLedgerRow };
}

const statementLabel = (migration: ClickhouseMigration, index: number) =>
  `statement ${index + 1} of ${migration.statements.length} (line ${migration.statements[index]?.line ?? '?'})`;

/** Decides what runs, or refuses: the ledger and the folder must agree on everything already run. */
export function planClickhouse(label: string, migrations: ClickhouseMigration[], rows: ClickhouseLedgerRow[]): ClickhousePlan {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const drift = (what: string, fix: string) => operationError(`The ClickHouse database ${label}: ${what}; nothing was changed.`, fix);
  for (const row of rows) {
    const migration = byVersion.get(row.version);
    if (!migration) {
      throw drift(
        `its ledger records migration ${row.version} (${row.name}), which the migrations folder does not have`,
        'Run the package the database was migrated with, or put the file back.',
      );
    }
    if (row.state === 'applied' && row.checksum !== migration.checksum) {
      throw drift(
        `${migration.file} was changed after it was applied (its checksum differs from the ledger's)`,
        'Put the file back as it was applied; write a new migration for the change.',
      );
    }
  }
  const unfinished = rows.filter((row) => row.state !== 'applied');
  if (unfinished.length > 1) {
    throw drift(
      `${unfinished.length} migrations are unfinished (${unfinished.map((row) => row.version).join(', ')})`,
      'See astra status; finish or undo them by hand.',
    );
  }
  const appliedVersions = new Set(rows.filter((row) => row.state === 'applied').map((row) => row.version));
  const highest = Math.max(-1, ...appliedVersions);
  const pending = migrations.filter((migration) => !appliedVersions.has(migration.version));
  const skipped = pending.find((migration) => migration.version < highest && migration.version !== unfinished[0]?.version);
  if (skipped) {
    throw drift(
      `${skipped.file} is not applied, and migrations after it are`,
      'A migration added below applied ones will not be run; give it a number after the last applied one.',
    );
  }
  const row = unfinished[0];
  if (!row) return { applied: rows, pending };
  const migration = byVersion.get(row.version)!;
  if (pending[0]?.version !== row.version) throw drift(`${migration.file} is unfinished, and a migration before it is not applied`, 'See astra status.');
  if (row.done > migration.statements.length || prefixChecksum(migration.statements, row.done) !== row.doneChecksum) {
    throw drift(
      `${migration.file} stopped after ${row.done} statement(s), and those statements were edited since (they ran as they were, and are not run again)`,
      'Put the completed statements back as they ran; change only the failed statement and those after it.',
    );
  }
  return { applied: rows, pending, resume: { migration, from: row.done, row } };
}

export async function withClickhouse<T>(settings: ClickhouseSettings, work: (db: Clickhouse) => Promise<T>): Promise<T> {
  const db = await Clickhouse.connect(settings.url);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Takes the run lock (in PostgreSQL when the project has one, else a lease), runs `work`, releases it. */
export async function underLock<T>(db: Clickhouse, settings: ClickhouseSettings, run: ClickhouseRun, work: (held: () => boolean) => Promise<T>): Promise<T> {
  const lock = await lockClickhouse(db, { waitMs: run.lockWaitMs, log: run.log, signal: run.signal, postgres: await settings.lockIn?.() });
  try {
    return await work(() => lock.held());
  } finally {
    await lock.release();
  }
}

export interface ClickhouseApplied {
  version: number;
  name: string;
  file: string;
  durationMs: number;
}

export interface ClickhouseUpResult {
  applied: ClickhouseApplied[];
  skipped: number[];
  wouldApply: number[];
}

/** Runs one migration from statement `from`, recording each completed statement. */
/**
 * Runs one migration from statement `from`, recording each completed
 * statement. `changedBefore`: this run already changed the database (for what
 * the error says); `held`: whether the run lock is still held, asked before
 * each statement (a lease that could not be renewed is lost).
 */
async function applyOne(
  db: Clickhouse,
  ledger: ClickhouseLedger,
  migration: ClickhouseMigration,
  from: number,
  run: { log: Log; changedBefore: boolean; held: () => boolean },
): Promise<number> {
  const started = performance.now();
  const record = (done: number, state: 'running' | 'failed' | 'applied', error = '') =>
    ledger.record({
      version: migration.version,
      name: migration.name,
      checksum: migration.checksum,
      statements: migration.statements.length,
      done,
      doneChecksum: prefixChecksum(migration.statements, done),
      state,
      error,
    });
  // A file whose remaining statements were removed (the fix of a failed last one) is complete as it is.
  await record(from, from === migration.statements.length ? 'applied' : 'running');
  for (let index = from; index < migration.statements.length; index++) {
    if (!run.held()) {
      throw new AstraError(
        `The run lock on ${db.label} was lost (its lease could not be renewed) before ${statementLabel(migration, index)} of ${migration.file}; stopped there.`,
        {
          fix: 'Check the connection to ClickHouse, then run astra migrate up again: it resumes there.',
          exitCode: EXIT_FAILED,
          database: run.changedBefore || index > from ? 'changed' : 'unchanged',
        },
      );
    }
    try {
      await db.command(migration.statements[index]!.text);
    } catch (error) {
      const message = clickhouseMessage(error);
      await record(index, 'failed', message).catch(() => {});
      throw new AstraError(
        `${migration.file} failed at ${statementLabel(migration, index)}: ${message}. ${index > 1 ? `Statements 1–${index} completed and are not run again` : index === 1 ? 'Statement 1 completed and is not run again' : 'Nothing of it completed'} (ClickHouse DDL is not transactional).`,
        {
          fix: `Fix statement ${index + 1} (or the cause), then run astra migrate up again: it resumes at statement ${index + 1}.`,
          exitCode: EXIT_FAILED,
          cause: error,
          database: run.changedBefore || index > from ? 'changed' : 'unchanged',
        },
      );
    }
    await record(index + 1, index + 1 === migration.statements.length ? 'applied' : 'running');
  }
  const ms = performance.now() - started;
  run.log.info(`✔ ${migration.file} (${formatMs(ms)})`);
  return ms;
}

/** `astra migrate up` on a ClickHouse database: lock → ledger → plan → each pending migration, statement by statement. */
export async function clickhouseUp(settings: ClickhouseSettings, run: ClickhouseRun, options: { to?: number; dryRun?: boolean }): Promise<ClickhouseUpResult> {
  const migrations = loadClickhouseMigrations(settings.migrationsDir, settings.versions);
  if (options.to !== undefined && !migrations.some((migration) => migration.version === options.to)) {
    throw inputError(
      `--to ${options.to}: ${settings.migrationsDir} has no migration of that version.`,
      'Give the version of one of its files (see astra status).',
    );
  }
  // Planned against every file (the ledger may record migrations after --to), then cut at --to.
  const planTo = (label: string, rows: ClickhouseLedgerRow[]) => {
    const plan = planClickhouse(label, migrations, rows);
    return options.to === undefined ? plan : { ...plan, pending: plan.pending.filter((migration) => migration.version <= options.to!) };
  };
  return withClickhouse(settings, async (db) => {
    const ledger = new ClickhouseLedger(db, settings.ledgerTable);
    if (options.dryRun) {
      const plan = planTo(db.label, await ledger.rows());
      run.log.info(`Dry run on ClickHouse ${db.label}: nothing is changed.`);
      if (plan.resume) run.log.info(`  would resume ${plan.resume.migration.file} at ${statementLabel(plan.resume.migration, plan.resume.from)}`);
      for (const migration of plan.pending) run.log.info(`  would apply ${migration.file} (${migration.statements.length} statement(s))`);
      return {
        applied: [],
        skipped: plan.applied.filter((row) => row.state === 'applied').map((row) => row.version),
        wouldApply: plan.pending.map((m) => m.version),
      };
    }
    return underLock(db, settings, run, async (held) => {
      await ledger.ensure();
      const plan = planTo(db.label, await ledger.rows());
      run.log.info(`Migrating ClickHouse ${db.label} with ${settings.migrationsDir}`);
      const applied: ClickhouseApplied[] = [];
      for (const migration of plan.pending) {
        if (run.signal?.aborted) {
          throw operationError(
            `Stopped at a safe point as asked: ${applied.length} migration(s) applied; ${plan.pending.length - applied.length} not run.`,
            'Run astra migrate up again to go on.',
          );
        }
        const from = plan.resume?.migration.version === migration.version ? plan.resume.from : 0;
        if (from > 0) run.log.info(`${migration.file} stopped after statement ${from}; resuming at ${statementLabel(migration, from)}.`);
        const ms = await applyOne(db, ledger, migration, from, { log: run.log, changedBefore: applied.length > 0, held });
        applied.push({ version: migration.version, name: migration.name, file: migration.file, durationMs: Math.round(ms) });
      }
      run.log.info(
        applied.length > 0
          ? `Applied ${applied.length} migration(s): ${versionList(applied.map((entry) => entry.version))}`
          : 'No migrations to apply: the database is up to date.',
      );
      return { applied, skipped: plan.applied.filter((row) => row.state === 'applied').map((row) => row.version), wouldApply: [] };
    });
  });
}

export interface ClickhouseDownResult {
  reverted: { version: number; file: string }[];
}

/** `astra migrate down [n]`: the last n applied migrations undone with their .down.sql, newest first. */
export async function clickhouseDown(settings: ClickhouseSettings, run: ClickhouseRun, count: number): Promise<ClickhouseDownResult> {
  const migrations = loadClickhouseMigrations(settings.migrationsDir, settings.versions);
  return withClickhouse(settings, (db) =>
    underLock(db, settings, run, async () => {
      const ledger = new ClickhouseLedger(db, settings.ledgerTable);
      const plan = planClickhouse(db.label, migrations, await ledger.rows());
      if (plan.resume) {
        throw operationError(
          `${plan.resume.migration.file} is unfinished; nothing was changed.`,
          'Finish it with astra migrate up first (or see astra status).',
        );
      }
      const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
      const targets = plan.applied
        .filter((row) => row.state === 'applied')
        .reverse()
        .slice(0, count)
        .map((row) => byVersion.get(row.version)!);
      // Every down file read before any is run: a missing one changes nothing.
      const downs = targets.map((migration) => ({ migration, statements: loadClickhouseDown(settings.migrationsDir, migration) }));
      return { reverted: await revert(db, ledger, downs, run.log) };
    }),
  );
}

/** Runs down files, newest first, recording each migration as reverted once its down file completed. */
export async function revert(
  db: Clickhouse,
  ledger: ClickhouseLedger,
  downs: { migration: ClickhouseMigration; statements: { text: string; line: number }[] }[],
  log: Log,
): Promise<{ version: number; file: string }[]> {
  const reverted: { version: number; file: string }[] = [];
  for (const { migration, statements } of downs) {
    for (const [index, statement] of statements.entries()) {
      try {
        await db.command(statement.text);
      } catch (error) {
        throw new AstraError(
          `The down migration of ${migration.file} failed at statement ${index + 1} of ${statements.length} (line ${statement.line}): ${clickhouseMessage(error)}; ${migration.file} stays recorded as applied${index > 0 ? `, with statements 1–${index} of its down file run` : ''}.`,
          {
            fix: `Fix ${migration.downFile} or undo the rest by hand, then run astra migrate down again.`,
            exitCode: EXIT_FAILED,
            cause: error,
            database: reverted.length > 0 || index > 0 ? 'changed' : 'unchanged',
          },
        );
      }
    }
    await ledger.record({
      version: migration.version,
      name: migration.name,
      checksum: migration.checksum,
      statements: migration.statements.length,
      done: 0,
      doneChecksum: '',
      state: 'reverted',
      error: '',
    });
    log.info(`↩ ${migration.file} undone with ${migration.downFile}`);
    reverted.push({ version: migration.version, file: migration.file });
  }
  return reverted;
}

export interface ClickhouseStatusReport {
  database: string;
  kind: 'clickhouse';
  serverVersion: string;
  migrationsDir: string;
  applied: number;
  pending: number;
  /** Migrations that stopped part way (failed, or astra was stopped). */
  unfinished: number;
  migrations: {
    version: number;
    name: string;
    file: string;
    state: 'applied' | 'pending' | 'failed' | 'running';
    appliedAt: string | null;
    detail: string | null;
  }[];
}

/** `astra status` on a ClickHouse database. Changes nothing. */
export async function clickhouseStatus(settings: ClickhouseSettings): Promise<ClickhouseStatusReport> {
  const migrations = loadClickhouseMigrations(settings.migrationsDir, settings.versions);
  return withClickhouse(settings, async (db) => {
    const rows = new Map((await new ClickhouseLedger(db, settings.ledgerTable).rows()).map((row) => [row.version, row]));
    const entries = migrations.map((migration) => {
      const row = rows.get(migration.version);
      const state: ClickhouseStatusReport['migrations'][number]['state'] =
        row?.state === 'applied' || row?.state === 'failed' || row?.state === 'running' ? row.state : 'pending';
      const detail = row && row.state !== 'applied' ? `stopped after ${row.done} of ${row.statements} statement(s)${row.error ? `: ${row.error}` : ''}` : null;
      return {
        version: migration.version,
        name: migration.name,
        file: migration.file,
        state,
        appliedAt: row?.state === 'applied' ? row.appliedAt : null,
        detail,
      };
    });
    return {
      database: db.label,
      kind: 'clickhouse',
      serverVersion: await db.serverVersion(),
      migrationsDir: settings.migrationsDir,
      applied: entries.filter((entry) => entry.state === 'applied').length,
      pending: entries.filter((entry) => entry.state === 'pending').length,
      unfinished: entries.filter((entry) => entry.state === 'failed' || entry.state === 'running').length,
      migrations: entries,
    };
  });
}
