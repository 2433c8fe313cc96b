import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { backup, doctor, status, type DoctorReport } from '../index.js';
import type { ServedDatabase } from './databases.js';

/** What a scrape reports, refreshed from the databases when it is asked for (doctor at most once per `doctorIntervalMs`). */
export interface ServeMetrics {
  readonly contentType: string;
  /** The Prometheus text of every metric, after reading the databases' state. */
  scrape(): Promise<string>;
  /** A migrate run of one database ended. */
  recordRun(database: string, result: 'success' | 'failure' | 'refused', durationMs?: number): void;
  /** A request to a protected route was turned away: no or a wrong secret, or too many such from its address. */
  recordRejected(reason: 'unauthorized' | 'rate_limited'): void;
}

export interface MetricsOptions {
  databases: ServedDatabase[];
  /** How old doctor's findings may be before a scrape runs it again (in the background, after the first time). */
  doctorIntervalMs: number;
  /** Folder of pg_dump and pg_restore, for doctor's tool checks. */
  pgBinDir?: string | undefined;
}

const STATUSES = ['ok', 'warn', 'fail'] as const;

export function createMetrics(options: MetricsOptions): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const database = ['database'] as const;
  const up = new Gauge({ name: 'astra_database_up', help: 'Whether the database answered the last scrape (1) or not (0).', labelNames: database, registers });
  const applied = new Gauge({ name: 'astra_migrations_applied', help: 'Migrations recorded as applied.', labelNames: database, registers });
  const pending = new Gauge({ name: 'astra_migrations_pending', help: 'Migrations of the package not applied yet.', labelNames: database, registers });
  const dirty = new Gauge({
    name: 'astra_migrations_dirty',
    help: 'Migrations that started and did not finish (need a person).',
    labelNames: database,
    registers,
  });
  const lastDuration = new Gauge({
    name: 'astra_migrate_last_duration_seconds',
    help: 'How long the last migrate run of this server took.',
    labelNames: database,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'astra_migrate_last_success',
    help: 'Whether the last migrate run succeeded (1) or not (0).',
    labelNames: database,
    registers,
  });
  const lastTime = new Gauge({
    name: 'astra_migrate_last_timestamp_seconds',
    help: 'When the last migrate run ended (Unix time).',
    labelNames: database,
    registers,
  });
  const runs = new Counter({
    name: 'astra_migrate_runs_total',
    help: 'Migrate runs by result: success, failure, or refused (a release left to a person: breaking, stop the application, a failed checklist).',
    labelNames: ['database', 'result'] as const,
    registers,
  });
  const backupAge = new Gauge({
    name: 'astra_backup_newest_verified_age_seconds',
    help: 'Age of the newest backup whose last verification passed (absent when there is none).',
    labelNames: database,
    registers,
  });
  const check = new Gauge({
    name: 'astra_doctor_check',
    help: 'Status of each doctor check at its last run: 1 on the status it had (ok, warn, fail), 0 on the others.',
    labelNames: ['database', 'check', 'status'] as const,
    registers,
  });
  const doctorTime = new Gauge({ name: 'astra_doctor_last_run_timestamp_seconds', help: 'When doctor last ran (Unix time).', labelNames: database, registers });
  const rejected = new Counter({
    name: 'astra_serve_rejected_requests_total',
    help: 'Requests to protected routes turned away: unauthorized (no or a wrong secret) or rate_limited.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['unauthorized', 'rate_limited'] as const) rejected.inc({ reason }, 0);

  let doctorRun: Promise<void> | undefined;
  let doctorEndedAt: number | undefined;
  const runDoctor = async () => {
    for (const served of options.databases) {
      const report: DoctorReport | undefined = await doctor({ ...served.options, ...(options.pgBinDir ? { pgBinDir: options.pgBinDir } : {}) }).catch(
        () => undefined,
      );
      if (!report) continue;
      for (const result of report.checks) {
        for (const value of STATUSES) check.set({ database: served.name, check: result.id, status: value }, result.status === value ? 1 : 0);
      }
      doctorTime.set({ database: served.name }, Date.now() / 1000);
    }
    doctorEndedAt = Date.now();
  };
  const refreshDoctor = async () => {
    const stale = doctorEndedAt === undefined || Date.now() - doctorEndedAt >= options.doctorIntervalMs;
    if (stale && !doctorRun) doctorRun = runDoctor().finally(() => (doctorRun = undefined));
    // Only the first scrape waits for doctor; later ones report the last findings while it runs again.
    if (doctorEndedAt === undefined && doctorRun) await doctorRun;
  };

  const readState = async (served: ServedDatabase) => {
    const labels = { database: served.name };
    try {
      const report = await status(served.options);
      up.set(labels, 1);
      applied.set(labels, report.applied);
      pending.set(labels, report.pending);
      dirty.set(labels, report.dirty);
    } catch {
      up.set(labels, 0);
    }
    const list = await backup.list(served.options).catch(() => undefined);
    const newest = list?.backups.find((entry) => entry.verified === true);
    if (newest) backupAge.set(labels, Math.max(0, (Date.now() - Date.parse(newest.createdAt)) / 1000));
    else backupAge.remove(labels);
  };

  return {
    contentType: registry.contentType,
    async scrape() {
      await Promise.all([...options.databases.map(readState), refreshDoctor()]);
      return registry.metrics();
    },
    recordRun(name, result, durationMs) {
      runs.inc({ database: name, result });
      if (result === 'refused') return;
      const labels = { database: name };
      if (durationMs !== undefined) lastDuration.set(labels, durationMs / 1000);
      lastSuccess.set(labels, result === 'success' ? 1 : 0);
      lastTime.set(labels, Date.now() / 1000);
    },
    recordRejected(reason) {
      rejected.inc({ reason });
    },
  };
}
