import { analyzeMigrations } from '../analysis/analyze.js';
import { labelViolations } from '../analysis/labels.js';
import { createBackup, verifyBackup } from '../backup/index.js';
import { rollbackToBackup } from '../rollback/index.js';
import { runDoctor } from '../doctor/runner.js';
import { operationError } from '../errors.js';
import type { UpgradePorts } from './ports.js';
import type { UpgradeOptions } from './run.js';
import type { Database } from '../db/database.js';
import type { Context } from '../engine/context.js';

/** The upgrade's parts from the backup catalog, doctor and the safety analysis. */
export function createUpgradePorts(context: Context, options: Pick<UpgradeOptions, 'pgBinDir'>): UpgradePorts {
  const pgBinDir = options.pgBinDir ? { pgBinDir: options.pgBinDir } : {};
  return {
    backup: {
      async create(db, labels, progress) {
        const manifest = await createBackup(context, db, {
          ...pgBinDir,
          ...(labels.fromVersion ? { fromVersion: labels.fromVersion } : {}),
          toVersion: labels.toVersion,
          onProgress: progress,
          rerun: 'astra upgrade',
        });
        progress(`verifying ${manifest.id}`);
        const verified = await verifyBackup(context, manifest.id, pgBinDir);
        if (!verified.ok) {
          throw operationError(
            `The backup ${manifest.id} failed its verification, so the upgrade does not go on: ${verified.checks
              .filter((check) => check.status === 'fail')
              .map((check) => check.detail)
              .join('; ')}.`,
            'Check the disk and pg_dump, then run again.',
          );
        }
        return { id: manifest.id, createdAt: manifest.createdAt, file: manifest.archive };
      },
      async restore(backupId, progress, lockHeld) {
        // A failed upgrade leaves the application on a half-migrated schema:
        // its sessions are ended so the restored database can take the name
        // (after asking, when a person is there to ask).
        const ask = context.yes ? undefined : context.confirm;
        const result = await rollbackToBackup(context, {
          backupId,
          ...pgBinDir,
          force: true,
          ...(ask
            ? { confirmTerminate: (sessions) => ask(`End ${sessions.length} session(s) connected to the database so the backup can be restored?`, true) }
            : {}),
          onProgress: progress,
          // A connection lost with the failure lost the lock too: the rollback then takes it anew.
          ...(lockHeld && (await usable(lockHeld)) ? { lockHeld } : {}),
        });
        return result.method === 'swap'
          ? `${result.database} is the backup ${result.backupId} taken at ${result.backupCreatedAt}; the failed state is kept as the database ${result.keptDatabase}.`
          : `${result.database} was restored in place from backup ${result.backupId} taken at ${result.backupCreatedAt} (safety backup ${result.safetyBackupId} holds the failed state).`;
      },
    },
    async doctor() {
      const target = await context.target();
      const report = await runDoctor({ target, migrationsDir: context.migrationsDir, versions: context.versions, backupDir: context.backupDir }, pgBinDir);
      return {
        ok: report.ok,
        checks: report.checks.map((check) => ({
          id: check.id,
          title: check.title,
          status: check.status,
          detail: check.detail,
          ...(check.fix ? { fix: check.fix } : {}),
        })),
      };
    },
    labelViolations(migrations, releases) {
      // The same analysis as `astra lint` without a database: every existing table is taken to be large.
      const analysis = analyzeMigrations(
        migrations.map((migration) => ({ file: migration.file, path: migration.path, sql: migration.sql, statements: migration.statements })),
      );
      return labelViolations(analysis, releases).flatMap((violation) =>
        violation.findings.map((finding) => ({ file: violation.migration, line: finding.line, rule: finding.rule, message: finding.message })),
      );
    },
  };
}

/**
 * Whether the connection still answers, made ready for other work: out of any
 * transaction, as the role that logged in (RESET ALL leaves a migration's SET
 * ROLE in place), with its settings reset. Not DISCARD ALL: that would release
 * the run lock.
 */
async function usable(db: Database): Promise<boolean> {
  try {
    await db.query('ROLLBACK');
    await db.query('SET SESSION AUTHORIZATION DEFAULT');
    await db.query('RESET ROLE');
    await db.query('RESET ALL');
    return true;
  } catch {
    return false;
  }
}
