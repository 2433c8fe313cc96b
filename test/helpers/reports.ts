import { readFileSync } from 'node:fs';

/**
 * The JSON astra prints with --json and writes beside its backups, as the
 * tests read it: the fields they look at, not a copy of src/ types, so that a
 * change to the output contract shows up here first.
 */

/** Parses JSON text as the document the caller expects. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Reads and parses a JSON file. */
export function readJson<T>(path: string): T {
  return parseJson<T>(readFileSync(path, 'utf8'));
}

export interface ErrorReport {
  message: string;
  fix: string | null;
  exitCode: number;
}

/** What every --json document has: ok, and the error when it failed. */
export interface JsonReport {
  ok: boolean;
  error?: ErrorReport;
}

export interface BackupManifest {
  id: string;
  archive: string;
  format: 'custom' | 'directory';
  createdAt: string;
  appVersion: string | null;
  schemaVersion: number;
  serverVersion: string;
  pgDumpVersion: string;
  sha256: string;
  sizeBytes: number;
  tables: { schema: string; name: string; rows: number; estimated: boolean }[];
  verification?: { ok: boolean; deep: boolean; failedChecks: string[] };
}

export interface BackupCreateReport extends JsonReport {
  backup: BackupManifest;
}

export interface BackupListReport extends JsonReport {
  backups: (BackupManifest & { verified: boolean | null })[];
}

export interface BackupVerifyReport extends JsonReport {
  id: string;
  deep: boolean;
  checks: { check: string; status: string; detail: string }[];
}

export interface BackupPruneReport extends JsonReport {
  kept: string[];
  removed: string[];
}

export interface DoctorCheckReport {
  id: string;
  title: string;
  area: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix: string | null;
}

export interface DoctorReport extends JsonReport {
  summary: { ok: number; warn: number; fail: number };
  checks: DoctorCheckReport[];
}

export interface StatusReport extends JsonReport {
  migrationsDir: string;
  databaseVersion: string | null;
  applicationVersion: string | null;
  applied: number;
  pending: number;
  migrations: { version: number; state: string; failedStatement?: string | null }[];
}

export interface MigrateReport extends JsonReport {
  applied: { version: number; file: string }[];
  skipped: number[];
}

export interface LintReport extends JsonReport {
  failing: number;
  migrations: number;
  findings: Record<string, unknown>[];
  labelViolations: unknown[];
}

export interface UpgradeReport extends JsonReport {
  from: string | null;
  to: string;
  applied: { version: number; file: string }[];
  backup: { id: string };
  doctor: { ok: boolean };
  rollbackCommand: string;
}

export interface RollbackReport extends JsonReport {
  backupId: string;
  keptDatabase: string | null;
  statistics: { gathered: true; tables: number; skipped: string[]; failed: { table: string; problem: string }[] } | { gathered: false; problem: string };
}
