import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import { AstraError, EXIT_FAILED, errorMessage, operationError } from '../errors.js';
import { failed } from '../upgrade/checks.js';
import { obtainConsent, prepareUpgrade, runUpgrade, type UpgradeOptions, type UpgradeReport } from '../upgrade/run.js';
import type { UpgradePorts } from '../upgrade/ports.js';

/** One database of a project, with the context its work runs in. */
export interface Member {
  name: string;
  context: Context;
}

export interface ProjectUpgradeReport {
  /** The release the databases were taken to (each database's target, when they differ). */
  to: string | null;
  dryRun: boolean;
  databases: Record<string, UpgradeReport>;
  /** The file naming every database's backup of this upgrade, when backups were taken. */
  backupSet: string | null;
}

/** What a backup set file holds: which backup of which database was taken before one upgrade of the application. */
export interface BackupSet {
  createdAt: string;
  to: string | null;
  databases: Record<string, { backupId: string; from: string | null; to: string }>;
}

const tag = (name: string) => `[${name.toUpperCase()}]`;

/** The same error, its message tagged with the database it concerns. */
export function tagged(name: string, error: unknown, extra = ''): AstraError {
  const astraError = error instanceof AstraError ? error : undefined;
  return new AstraError(`${tag(name)} ${astraError ? astraError.message : `Unexpected error: ${errorMessage(error)}`}${extra}`, {
    fix: astraError?.fix,
    exitCode: astraError?.exitCode ?? EXIT_FAILED,
    cause: error,
    ...(astraError?.database !== undefined ? { database: astraError.database } : {}),
  });
}

export function commonTarget(reports: { to: string }[]): string | null {
  const targets = new Set(reports.map((report) => report.to));
  return targets.size === 1 ? [...targets][0]! : null;
}

/**
 * `astra upgrade` on a project (the dry run is each database's own): every database's plan and checklist first (a
 * refusal anywhere changes nothing anywhere), one consent, then each
 * database in declared order, each backed up, migrated and checked by doctor
 * under its own run lock. When one fails, its own upgrade restores it, and
 * every database upgraded before it is restored from the backup taken for
 * this upgrade: the application never sees half a release.
 */
export async function upgradeProject(
  members: Member[],
  options: UpgradeOptions,
  portsFor: (context: Context) => UpgradePorts,
  backupRoot: string,
): Promise<ProjectUpgradeReport> {
  const ports = new Map(members.map((member) => [member.name, portsFor(member.context)]));

  // Every plan and checklist before anything changes.
  const plans = [];
  for (const member of members) {
    try {
      const prepared = await prepareUpgrade(member.context, options, ports.get(member.name)!);
      const { plan } = prepared;
      member.context.log.info(
        plan.pending.length === 0
          ? `At ${plan.to}: nothing to do.`
          : `${plan.from ?? 'empty'} → ${plan.to}: ${plan.pending.length} migration(s)${plan.breaking.length > 0 ? `, ${plan.breaking.length} breaking` : ''}.`,
      );
      const failures = failed(prepared.items);
      if (plan.pending.length > 0 && failures.length > 0) {
        throw operationError(
          `The pre-upgrade checklist failed (${failures.map((item) => item.id).join(', ')}): ${failures[0]!.detail}; no database of the project was changed.`,
          failures[0]!.fix ?? 'Fix the items marked ✖ (astra upgrade --dry-run lists them) and run again.',
        );
      }
      plans.push({ member, prepared });
    } catch (error) {
      throw tagged(member.name, error);
    }
  }
  // One consent, asked database by database, before any of them changes.
  for (const { member, prepared } of plans) {
    if (prepared.plan.pending.length === 0) continue;
    try {
      await obtainConsent(member.context, prepared.plan, options);
    } catch (error) {
      throw tagged(member.name, error, ' No database of the project was changed.');
    }
  }

  const done: { member: Member; report: UpgradeReport }[] = [];
  for (const { member } of plans) {
    try {
      done.push({ member, report: await runUpgrade(member.context, { ...options, consented: true }, ports.get(member.name)!) });
    } catch (error) {
      throw await restoreEarlier(member, error, done, options, ports);
    }
  }
  const databases = Object.fromEntries(done.map(({ member, report }) => [member.name, report]));
  const backupSet = await writeBackupSet(backupRoot, done);
  return { to: commonTarget(done.map(({ report }) => report)), dryRun: false, databases, backupSet };
}

/**
 * After `failedMember` failed (and its own upgrade restored it, unless told
 * not to), restores the databases upgraded before it, newest first; returns
 * the error to throw, saying what now stands everywhere.
 */
async function restoreEarlier(
  failedMember: Member,
  error: unknown,
  done: { member: Member; report: UpgradeReport }[],
  options: UpgradeOptions,
  ports: Map<string, UpgradePorts>,
): Promise<AstraError> {
  const changed = done.filter(({ report }) => report.applied.length > 0);
  if (changed.length === 0) return tagged(failedMember.name, error);
  const names = changed.map(({ member }) => member.name).join(', ');
  if (options.noRollback || changed.some(({ report }) => report.backup === null)) {
    return tagged(
      failedMember.name,
      error,
      ` ${names} stay${changed.length === 1 ? 's' : ''} upgraded (${options.noRollback ? '--no-rollback' : 'no backup was taken'}): the databases are at different releases.`,
    );
  }
  const restored: string[] = [];
  const notRestored: string[] = [];
  for (const { member, report } of [...changed].reverse()) {
    const backupId = report.backup!.id;
    member.context.log.warn(`Restoring backup ${backupId}, since ${failedMember.name} failed: the application must not see half of release ${report.to}…`);
    try {
      const outcome = await ports.get(member.name)!.backup.restore(backupId, (line) => member.context.log.info(`  ${line}`));
      member.context.log.info(outcome);
      restored.push(member.name);
    } catch (restoreError) {
      member.context.log.error(`The restore of backup ${backupId} failed: ${errorMessage(restoreError)}`);
      notRestored.push(`${member.name} (astra rollback --db ${member.name} --backup ${backupId})`);
    }
  }
  const said = [
    restored.length > 0 ? ` ${restored.join(', ')} ${restored.length === 1 ? 'was' : 'were'} restored from the backup taken before this upgrade.` : '',
    notRestored.length > 0 ? ` Not restored, do it by hand: ${notRestored.join(', ')}.` : '',
  ].join('');
  return tagged(failedMember.name, error, said);
}

/** Writes the backup set of one upgrade (owner-only), naming each database's backup and the release. */
async function writeBackupSet(backupRoot: string, done: { member: Member; report: UpgradeReport }[]): Promise<string | null> {
  const backed = done.filter(({ report }) => report.backup !== null);
  if (backed.length === 0) return null;
  const createdAt = new Date().toISOString();
  const set: BackupSet = {
    createdAt,
    to: commonTarget(backed.map(({ report }) => report)),
    databases: Object.fromEntries(backed.map(({ member, report }) => [member.name, { backupId: report.backup!.id, from: report.from, to: report.to }])),
  };
  const dir = join(backupRoot, 'sets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${createdAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}
