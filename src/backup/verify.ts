import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import { withDatabase } from '../engine/run-lock.js';
import { errorMessage, operationError } from '../errors.js';
import { findClientTool, type ClientTool } from '../pgtools/client-tools.js';
import { archiveDigest } from './checksum.js';
import { connectMaintenance } from '../db/database-admin.js';
import { readBackup, writeManifest } from './folder.js';
import { interruptedError, whileWatching } from '../engine/interrupt.js';
import type { BackupManifest, Verification } from './manifest.js';
import { listArchive } from '../pgtools/pg-restore.js';
import { restoreCopy } from './restore-copy.js';
import { majorOf } from './snapshot.js';

export type CheckName = 'checksum' | 'archive' | 'restore' | 'row-counts';

export interface CheckResult {
  check: CheckName;
  status: 'ok' | 'fail' | 'skipped';
  detail: string;
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  deep: boolean;
  checks: CheckResult[];
}

export interface VerifyOptions {
  /** Also restore into a scratch database and compare row counts. */
  deep?: boolean;
  pgBinDir?: string;
}

/** The major version of pg_dump that wrote an archive: pg_restore must be at least that. */
export function archiveMajor(manifest: BackupManifest): number {
  return Math.max(Number(manifest.pgDumpVersion.split('.')[0]) || 0, majorOf(manifest.serverVersionNum));
}

/**
 * The checks that need no database: the checksum against the manifest, and
 * `pg_restore --list`. An aborted `signal` stops them part-way, and their
 * result then means nothing: the caller must look at the signal first.
 */
export async function checkArchive(dir: string, manifest: BackupManifest, pgRestore: ClientTool, signal?: AbortSignal): Promise<CheckResult[]> {
  const path = join(dir, manifest.archive);
  let checksum: CheckResult;
  try {
    const digest = await archiveDigest(path, manifest.format, signal);
    checksum =
      digest.sha256 === manifest.sha256 && digest.sizeBytes === manifest.sizeBytes
        ? { check: 'checksum', status: 'ok', detail: `sha256 ${digest.sha256.slice(0, 16)}…, ${digest.sizeBytes} bytes, as recorded` }
        : {
            check: 'checksum',
            status: 'fail',
            detail: `${path} has sha256 ${digest.sha256.slice(0, 16)}… and ${digest.sizeBytes} bytes; the manifest recorded ${manifest.sha256.slice(0, 16)}… and ${manifest.sizeBytes} bytes`,
          };
  } catch (error) {
    checksum = { check: 'checksum', status: 'fail', detail: `${path} cannot be read: ${errorMessage(error)}` };
  }
  const listing = await listArchive(pgRestore.path, path, signal);
  const archive: CheckResult = listing.ok
    ? { check: 'archive', status: 'ok', detail: `pg_restore --list read ${listing.listing.split('\n').filter((line) => /^\d+;/.test(line)).length} entries` }
    : { check: 'archive', status: 'fail', detail: `pg_restore --list failed: ${listing.problem}` };
  return [checksum, archive];
}

/**
 * Verifies backup `id` of context.backupDir: checksum and `pg_restore --list`;
 * with `deep`, a restore into a scratch database (dropped afterwards, even on
 * failure) whose row counts must match the manifest. The result is recorded
 * in the manifest. Returns the result; does not throw when a check fails.
 */
export async function verifyBackup(context: Context, id: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const dir = context.backupDir;
  const manifest = await readBackup(dir, id);
  const deep = options.deep === true;
  const pgRestore = await findClientTool('pg_restore', archiveMajor(manifest), options.pgBinDir);
  const checks = await checkArchive(dir, manifest, pgRestore);
  if (deep) {
    if (checks.some((check) => check.status === 'fail')) {
      checks.push({ check: 'restore', status: 'skipped', detail: 'the archive failed the checks above' });
    } else {
      checks.push(...(await restoreIntoScratchDatabase(context, dir, manifest, options.pgBinDir)));
    }
  }
  const result: VerifyResult = { id, ok: checks.every((check) => check.status !== 'fail'), deep, checks };
  await recordVerification(context, dir, manifest, result);
  return result;
}

/** Records a verification's outcome in the backup's manifest (rewritten atomically); a warning when it cannot be. */
export async function recordVerification(context: Context, dir: string, manifest: BackupManifest, result: VerifyResult): Promise<void> {
  const verification: Verification = {
    at: new Date().toISOString(),
    ok: result.ok,
    deep: result.deep,
    failedChecks: result.checks.filter((check) => check.status === 'fail').map((check) => check.check),
  };
  try {
    await writeManifest(dir, { ...manifest, verification });
  } catch (error) {
    context.log.warn(`The result could not be recorded in the manifest of ${manifest.id}: ${errorMessage(error)}.`);
  }
}

/** Restores the archive into astra_verify_<random> on the target's server and compares row counts; the copy is dropped afterwards. */
async function restoreIntoScratchDatabase(context: Context, dir: string, manifest: BackupManifest, pgBinDir?: string): Promise<CheckResult[]> {
  return withDatabase(context, async (db) => {
    const pgRestore = await findClientTool('pg_restore', Math.max(archiveMajor(manifest), majorOf(await db.serverVersionNum())), pgBinDir);
    const scratch = `astra_verify_${randomBytes(6).toString('hex')}`;
    const admin = await connectMaintenance(db.target);
    try {
      const copy = await whileWatching(
        context.signal,
        (line) => context.log.warn(line),
        async (interrupts) => {
          const restored = await restoreCopy({
            admin,
            target: db.target,
            backupDir: dir,
            manifest,
            pgRestore,
            name: scratch,
            dataOnlyOwnership: true,
            compareLedger: false,
            signal: interrupts.signal,
            onCreated: () => context.log.info(`Restoring ${manifest.id} into the scratch database ${scratch}…`),
            onDropFailed: (error) => context.log.warn(`The scratch database ${scratch} could not be dropped: ${errorMessage(error)}; drop it by hand.`),
          });
          if (restored.ok) await restored.drop();
          const signal = interrupts.received();
          if (!restored.ok && restored.stage === 'restore' && signal) {
            throw interruptedError(
              signal,
              `while backup ${manifest.id} was being restored into ${scratch}`,
              `pg_restore was stopped and ${scratch} dropped; the backup was not changed.`,
              `Run astra backup verify ${manifest.id} --deep again.`,
            );
          }
          return restored;
        },
      );
      if (!copy.ok) {
        if (copy.stage === 'create') {
          throw operationError(
            `A deep verification restores into a scratch database, and ${db.target.config.user ?? 'this role'} cannot create one: ${errorMessage(copy.error)}.`,
            'Run it as a role with CREATEDB, or verify without --deep.',
            copy.error,
          );
        }
        if (copy.stage === 'restore') return [{ check: 'restore', status: 'fail', detail: `${errorMessage(copy.error)}` }];
        throw copy.error;
      }
      const exact = manifest.tables.filter((table) => !table.estimated).length;
      return [
        { check: 'restore', status: 'ok', detail: `restored into ${scratch}` },
        copy.differences.length === 0
          ? {
              check: 'row-counts',
              status: 'ok',
              detail: `${exact} table(s) hold the recorded rows${exact < manifest.tables.length ? `; ${manifest.tables.length - exact} large table(s) checked for presence only` : ''}`,
            }
          : { check: 'row-counts', status: 'fail', detail: copy.differences.join('; ') },
      ];
    } finally {
      await admin.close();
    }
  });
}
