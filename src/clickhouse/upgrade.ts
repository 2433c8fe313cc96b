import { ClickhouseLedger } from './ledger.js';
import { lintClickhouse } from './lint.js';
import { loadClickhouseDown, loadClickhouseMigrations } from './migrations.js';
import {
  clickhouseUp,
  planClickhouse,
  revert,
  underLock,
  withClickhouse,
  type ClickhouseApplied,
  type ClickhouseRun,
  type ClickhouseSettings,
} from './runner.js';

/** What an upgrade does to a ClickHouse database of a project: every pending migration, and how far it can be undone. */
export interface ClickhouseUpgradePlan {
  database: string;
  kind: 'clickhouse';
  pending: { version: number; file: string; statements: number }[];
  /** A migration that stopped part way, finished first from this statement (1-based). */
  resume: { file: string; fromStatement: number } | null;
  /** Pending migrations without a .down.sql: if the upgrade fails after them, this database cannot be rolled back past them. */
  noDown: string[];
  /** Pending migrations with a statement lint finds breaking (a DROP, a TRUNCATE) that no -- astra:allow acknowledges: they need --allow-breaking. */
  breaking: string[];
}

export async function planClickhouseUpgrade(settings: ClickhouseSettings): Promise<ClickhouseUpgradePlan> {
  const migrations = loadClickhouseMigrations(settings.migrationsDir, settings.versions);
  return withClickhouse(settings, async (db) => {
    const plan = planClickhouse(db.label, migrations, await new ClickhouseLedger(db, settings.ledgerTable).rows());
    return {
      database: db.label,
      kind: 'clickhouse',
      pending: plan.pending.map((migration) => ({ version: migration.version, file: migration.file, statements: migration.statements.length })),
      resume: plan.resume ? { file: plan.resume.migration.file, fromStatement: plan.resume.from + 1 } : null,
      noDown: plan.pending.filter((migration) => !migration.downFile).map((migration) => migration.file),
      breaking: [
        ...new Set(
          lintClickhouse(settings.migrationsDir, settings.versions)
            .findings.filter((finding) => finding.status === 'failing' && plan.pending.some((migration) => migration.file === finding.file))
            .map((finding) => finding.file),
        ),
      ],
    };
  });
}

export function renderClickhousePlan(plan: ClickhouseUpgradePlan): string {
  if (plan.pending.length === 0) return `ClickHouse ${plan.database}: up to date; nothing to do.`;
  return [
    `ClickHouse ${plan.database}: ${plan.pending.length} migration(s) to apply, statement by statement (ClickHouse DDL is not transactional; a failure resumes at the failed statement):`,
    ...plan.pending.map(
      (migration) =>
        `  ${migration.file} (${migration.statements} statement(s))${plan.resume?.file === migration.file ? `, finished from statement ${plan.resume.fromStatement}` : ''}`,
    ),
    ...(plan.breaking.length > 0 ? [`Breaking (lint): ${plan.breaking.join(', ')} drop data the application may read; --allow-breaking is needed.`] : []),
    plan.noDown.length > 0
      ? `Rollback: this database cannot be rolled back past ${plan.noDown.at(-1)} (${plan.noDown.join(', ')} ${plan.noDown.length === 1 ? 'has' : 'have'} no .down.sql).`
      : 'Rollback: each migration has a .down.sql, run when another database of the project fails after this one was upgraded.',
    'If a migration of this database fails, it stays where it stopped (the PostgreSQL databases are restored) and the next run resumes it.',
  ].join('\n');
}

export async function upgradeClickhouse(settings: ClickhouseSettings, run: ClickhouseRun): Promise<ClickhouseApplied[]> {
  return (await clickhouseUp(settings, run, {})).applied;
}

/**
 * Undoes the migrations an upgrade applied to a ClickHouse database, newest
 * first, with their .down.sql, as far as they have one. Returns a sentence
 * saying where the database stands.
 */
export async function undoClickhouse(settings: ClickhouseSettings, applied: ClickhouseApplied[], run: ClickhouseRun): Promise<string> {
  if (applied.length === 0) return 'nothing to undo';
  const migrations = new Map(loadClickhouseMigrations(settings.migrationsDir, settings.versions).map((migration) => [migration.version, migration]));
  const newestFirst = [...applied].reverse().map((entry) => migrations.get(entry.version)!);
  const blocked = newestFirst.findIndex((migration) => !migration.downFile);
  const undoable = blocked < 0 ? newestFirst : newestFirst.slice(0, blocked);
  const downs = undoable.map((migration) => ({ migration, statements: loadClickhouseDown(settings.migrationsDir, migration) }));
  const reverted = await withClickhouse(settings, (db) =>
    underLock(db, settings, run, () => revert(db, new ClickhouseLedger(db, settings.ledgerTable), downs, run.log)),
  );
  if (blocked < 0) return `undone with the .down.sql files (${reverted.map((entry) => entry.file).join(', ')})`;
  const stuck = newestFirst[blocked]!;
  return `${reverted.length > 0 ? `undone back to ${stuck.file} (${reverted.map((entry) => entry.file).join(', ')}); ` : ''}not rolled back past ${stuck.file}, which has no .down.sql: ${newestFirst
    .slice(blocked)
    .map((migration) => migration.file)
    .join(', ')} stay applied`;
}
