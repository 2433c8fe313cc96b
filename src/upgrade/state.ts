import type { LedgerRow } from '../db/ledger.js';
import type { Repeatable } from '../migrations/load.js';
import type { MigrationVersion } from '../migration-version.js';
import type { LockPolicy } from '../migrations/apply.js';
import type { Migration } from '../migrations/load.js';
import type { ReleaseNotes } from '../release/notes.js';
import type { ChecklistItem } from './checks.js';
import type { UpgradePlan } from './plan.js';
import type { DoctorReport } from './ports.js';
import type { RenderInput } from './render.js';
import type { CatalogReport } from '../seed/run.js';

export interface UpgradeOptions {
  to?: string;
  dryRun: boolean;
  allowBreaking: boolean;
  noBackup: boolean;
  noRollback: boolean;
  pgBinDir?: string;
  lockWaitMs: number;
  lockPolicy: LockPolicy;
  longTransactionSeconds: number;
  /** The operator already saw the plan and consented (a project's upgrade shows every plan and asks for every database before any changes). */
  consented?: boolean;
}

export interface Prepared {
  /** doctor's report before anything changed: the final check fails only on what is newly wrong. */
  doctorBefore: DoctorReport;
  releases: ReleaseNotes[];
  migrations: Migration[];
  plan: UpgradePlan;
  items: ChecklistItem[];
  render: RenderInput;
  /** A migration astra was stopped in with nothing failed, which the upgrade finishes first. */
  resume?: { file: string; version: MigrationVersion; fromStatement: number };
  /** What the seed catalogs would change, read before the upgrade (absent: none declared, or judged after the migrations). */
  seeds?: CatalogReport[];
  /** The upgrade takes the database to its last migration, so the seed catalogs are applied after it. */
  seedsApply?: boolean;
  /** Repeatable migrations (R__) of the folder, run after the last migration; absent when the upgrade stops before it or there are none. */
  repeatables?: Repeatable[];
  /** Those of them new or changed since last applied, when the plan was made: what the upgrade runs. */
  repeatablesChanged?: string[];
}

/** What an upgrade run recorded; rollback decisions are made from this alone. */
export interface RunState {
  stage: 'preflight' | 'backup' | 'apply' | 'seed' | 'doctor' | 'done';
  backup: { id: string; createdAt: string } | null;
  applied: { version: MigrationVersion; file: string; durationMs: number }[];
  /** What the seed catalogs did after the migrations. */
  seeds?: CatalogReport[];
  /** The repeatable migrations run after the migrations (new or changed ones). */
  repeatablesApplied?: string[];
  durations: Record<string, number>;
  interrupted: boolean;
}

export function rollbackCommandFor(plan: UpgradePlan, backupId?: string): string {
  if (backupId) return plan.from ? `astra rollback --to ${plan.from} --backup ${backupId}` : `astra rollback --backup ${backupId}`;
  return plan.from ? `astra rollback --to ${plan.from}` : 'astra rollback --backup <the backup id astra upgrade prints>';
}

/** The ledger as the plan reads it: a migration astra was stopped in is not applied yet. */
export function withoutInterrupted(rows: LedgerRow[], resume: Prepared['resume']): LedgerRow[] {
  return resume ? rows.filter((row) => row.version !== resume.version) : rows;
}
