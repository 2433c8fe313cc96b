import { invalidIndexNames, otherSessions, transactionsHoldingLocks } from '../db/activity.js';
import type { Database } from '../db/database.js';
import type { ChecklistItem } from './checks.js';
import type { UpgradePlan } from './plan.js';
import type { DoctorReport } from './ports.js';

export interface PreflightInput {
  db: Database;
  plan: UpgradePlan;
  /** doctor's checks, run before the upgrade: client tools, INVALID indexes and room for the backup come from there. */
  doctor: DoctorReport;
  /** --no-backup: the backup is skipped, so its checks are only informative. */
  noBackup: boolean;
  /** A transaction open longer than this, holding a lock on a table the upgrade changes, blocks it. */
  longTransactionSeconds: number;
  /** Findings of the safety analysis that contradict a release's labels (from `astra lint`). */
  labelViolations: { file: string; line: number; rule: string; message: string }[] | null;
  /** The index an interrupted concurrent build left INVALID, which finishing that migration builds again: not a blocker. */
  rebuiltIndex?: string | undefined;
}

const ok = (id: string, title: string, detail: string): ChecklistItem => ({ id, title, status: 'ok', detail });

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
      .map(
        (blocker) =>
          `pid ${blocker.pid} (${blocker.applicationName || 'no application name'}, ${blocker.state}) has held a lock on ${blocker.table} for ${Math.round(blocker.xactSeconds ?? 0)}s`,
      )
      .join('; '),
    fix: `Let those transactions finish, or end them with SELECT pg_terminate_backend(pid); then run the upgrade again.`,
  };
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

/** Doctor checks that are items of the checklist; the backup ones only warn when there is no backup. */
const FROM_DOCTOR: { id: string; title: string; backupOnly: boolean }[] = [
  { id: 'client-tools', title: 'pg_dump and pg_restore are present and new enough', backupOnly: true },
  { id: 'invalid-indexes', title: 'no INVALID indexes', backupOnly: false },
  { id: 'backup-room', title: 'room for the backup', backupOnly: true },
];
/** Doctor checks the checklist already covers in its own terms. */
const COVERED = new Set(['connection', 'migrations', ...FROM_DOCTOR.map((entry) => entry.id)]);

async function fromDoctor(input: PreflightInput): Promise<ChecklistItem[]> {
  const items: ChecklistItem[] = [];
  for (const entry of FROM_DOCTOR) {
    const check = input.doctor.checks.find((candidate) => candidate.id === entry.id);
    if (!check) continue;
    if (entry.id === 'invalid-indexes' && check.status === 'fail' && input.rebuiltIndex) {
      const invalid = await invalidIndexNames(input.db);
      if (invalid.every((name) => name === input.rebuiltIndex)) {
        items.push(ok(entry.id, entry.title, `only ${input.rebuiltIndex}, left by the interrupted build, which is dropped and built again`));
        continue;
      }
    }
    const status = check.status === 'fail' && entry.backupOnly && input.noBackup ? 'warn' : check.status;
    items.push({ id: entry.id, title: entry.title, status, detail: check.detail, ...(check.fix ? { fix: check.fix } : {}) });
  }
  // Anything else doctor finds wrong already is reported, and does not count against the upgrade's final check.
  const already = input.doctor.checks.filter((check) => check.status === 'fail' && !COVERED.has(check.id));
  if (already.length > 0) {
    items.push({
      id: 'doctor',
      title: 'astra doctor before the upgrade',
      status: 'warn',
      detail: `already failing: ${already.map((check) => `${check.id} (${check.detail})`).join('; ')}`,
      fix: 'The upgrade does not need these fixed, and its final doctor check ignores them; see astra doctor.',
    });
  }
  return items;
}

/** The pre-upgrade checklist, evaluated against the database. The ledger checks ran when the plan was made. */
export async function runPreflight(input: PreflightInput): Promise<ChecklistItem[]> {
  return [...(await fromDoctor(input)), await noBlockingTransactions(input), labelsAgree(input), await applicationStopped(input)];
}
