import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { databaseSize, invalidIndexes, otherSessions, transactionsHoldingLocks } from '../db/activity.js';
import type { Database } from '../db/database.js';
import { errorMessage } from '../errors.js';
import { findClientTool } from '../pgtools/client-tools.js';
import { formatBytes } from '../ui/format.js';
import type { ChecklistItem } from './checks.js';
import type { UpgradePlan } from './plan.js';

export interface PreflightInput {
  db: Database;
  plan: UpgradePlan;
  backupDir: string;
  pgBinDir?: string;
  /** --no-backup: the backup is skipped, so its checks are only informative. */
  noBackup: boolean;
  /** A transaction open longer than this, holding a lock on a table the upgrade changes, blocks it. */
  longTransactionSeconds: number;
  /** Findings of the safety analysis that contradict a release's labels (from `astra lint`). */
  labelViolations: { file: string; line: number; rule: string; message: string }[] | null;
}

const ok = (id: string, title: string, detail: string): ChecklistItem => ({ id, title, status: 'ok', detail });

async function clientTools(input: PreflightInput): Promise<ChecklistItem> {
  const title = 'pg_dump and pg_restore are present and new enough';
  const major = Math.floor((await input.db.serverVersionNum()) / 10_000);
  try {
    const dump = await findClientTool('pg_dump', major, input.pgBinDir);
    const restore = await findClientTool('pg_restore', major, input.pgBinDir);
    return ok('client-tools', title, `pg_dump ${dump.version} and pg_restore ${restore.version} for PostgreSQL ${major}`);
  } catch (error) {
    const fix = (error as { fix?: string }).fix;
    return { id: 'client-tools', title, status: input.noBackup ? 'warn' : 'fail', detail: errorMessage(error), ...(fix ? { fix } : {}) };
  }
}

async function noInvalidIndexes(input: PreflightInput): Promise<ChecklistItem> {
  const title = 'no INVALID indexes';
  const invalid = await invalidIndexes(input.db);
  if (invalid.length === 0) return ok('invalid-indexes', title, 'every index is valid');
  return {
    id: 'invalid-indexes',
    title,
    status: 'fail',
    detail: `INVALID index(es) left by a failed concurrent build: ${invalid.join(', ')}`,
    fix: `Drop them (${invalid.map((name) => `DROP INDEX CONCURRENTLY ${name};`).join(' ')}) and let the migration that builds them run again.`,
  };
}

async function noBlockingTransactions(input: PreflightInput): Promise<ChecklistItem> {
  const title = 'no long transaction holds a lock on a table the upgrade changes';
  const blockers = await transactionsHoldingLocks(input.db, input.plan.tables, input.longTransactionSeconds);
  if (blockers.length === 0) {
    return ok('long-transactions', title, input.plan.tables.length ? `none on ${input.plan.tables.join(', ')}` : 'the upgrade changes no existing table');
  }
  return {
    id: 'long-transactions',
    title,
    status: 'fail',
    detail: blockers
      .map((blocker) => `pid ${blocker.pid} (${blocker.applicationName || 'no application name'}, ${blocker.state}) has held a lock on ${blocker.table} for ${Math.round(blocker.xactSeconds ?? 0)}s`)
      .join('; '),
    fix: `Let those transactions finish, or end them with SELECT pg_terminate_backend(pid); then run the upgrade again.`,
  };
}

async function roomForBackup(input: PreflightInput): Promise<ChecklistItem> {
  const title = 'room for the backup';
  let folder = input.backupDir;
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  const size = await databaseSize(input.db);
  const stats = await statfs(folder);
  const free = Number(stats.bavail) * Number(stats.bsize);
  const detail = `database ${formatBytes(size)}, ${formatBytes(free)} free in ${input.backupDir}`;
  // A custom-format dump is compressed; the database size is a generous upper bound.
  if (free >= size * 1.2 || input.noBackup) return { id: 'backup-room', title, status: free >= size * 1.2 ? 'ok' : 'warn', detail };
  return { id: 'backup-room', title, status: 'fail', detail, fix: `Free space in ${input.backupDir}, or give another folder with --backup-dir.` };
}

async function applicationStopped(input: PreflightInput): Promise<ChecklistItem> {
  const title = 'the application is stopped (a breaking release needs it)';
  if (!input.plan.stopApplication) return { id: 'application-stopped', title, status: 'skipped', detail: 'no release crossed needs the application stopped' };
  const sessions = await otherSessions(input.db);
  if (sessions.length === 0) return ok('application-stopped', title, 'no other session is connected to the database');
  return {
    id: 'application-stopped',
    title,
    status: 'fail',
    detail: `${sessions.length} other session(s) connected: ${sessions
      .slice(0, 10)
      .map((session) => `pid ${session.pid} ${session.applicationName || '(no application name)'}${session.clientAddr ? ` from ${session.clientAddr}` : ''}`)
      .join('; ')}`,
    fix: 'Stop the application (and anything else using this database), then run the upgrade again.',
  };
}

function labelsAgree(input: PreflightInput): ChecklistItem {
  const title = 'release labels agree with the safety analysis';
  if (input.labelViolations === null) return { id: 'labels', title, status: 'skipped', detail: 'no safety analysis ran' };
  if (input.labelViolations.length === 0) return ok('labels', title, 'every migration labelled safe analyses as safe');
  return {
    id: 'labels',
    title,
    status: 'fail',
    detail: input.labelViolations.map((violation) => `${violation.file}:${violation.line} [${violation.rule}] ${violation.message}`).join('; '),
    fix: 'Label those migrations breaking in their release notes (with the reason), or make them safe; astra lint shows the details.',
  };
}

/** The pre-upgrade checklist, evaluated against the database. The ledger checks ran when the plan was made. */
export async function runPreflight(input: PreflightInput): Promise<ChecklistItem[]> {
  return [
    await clientTools(input),
    await noInvalidIndexes(input),
    await noBlockingTransactions(input),
    await roomForBackup(input),
    labelsAgree(input),
    await applicationStopped(input),
  ];
}
