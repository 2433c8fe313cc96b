import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, errorMessage, operationError } from '../errors.js';
import { failed } from '../upgrade/checks.js';
import { renderPlanText } from '../upgrade/render.js';
import { interruptedError, whileWatching } from '../engine/interrupt.js';
import { obtainConsent, prepareUpgrade, runUpgrade, type UpgradeOptions, type UpgradeReport } from '../upgrade/run.js';
import type { UpgradePorts } from '../upgrade/ports.js';
import type { Prepared } from '../upgrade/state.js';
import type { ClickhouseApplied, ClickhouseSettings } from '../clickhouse/runner.js';
import type { ClickhouseUpgradePlan } from '../clickhouse/upgrade.js';

/** One database of a project, with the context its work runs in. */
export interface Member {
  name: string;
  context: Context;
}

/** What an upgrade did to a ClickHouse database of the project. */
export interface ClickhouseUpgradeReport {
  kind: 'clickhouse';
  dryRun: boolean;
  plan: ClickhouseUpgradePlan;
  applied: ClickhouseApplied[];
}

export interface ProjectUpgradeReport {
  /** The release the databases were taken to (each database's target, when they differ). */
  to: string | null;
  dryRun: boolean;
  databases: Record<string, UpgradeReport | ClickhouseUpgradeReport>;
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

/** The context with another abort signal, read when needed (the CLI hands out a fresh one after each interruption). */
function withSignal(context: Context, signal: () => AbortSignal | undefined): Context {
  return {
    ...context,
    get signal() {
      return signal();
    },
  };
}

/** The same error, its message tagged with the database it concerns. */
export function tagged(name: string, error: unknown, extra = '', result?: object): AstraError {
  const astraError = error instanceof AstraError ? error : undefined;
  return new AstraError(`${tag(name)} ${astraError ? astraError.message : `Unexpected error: ${errorMessage(error)}`}${extra}`, {
    fix: astraError?.fix,
    exitCode: astraError?.exitCode ?? EXIT_FAILED,
    cause: error,
    ...(astraError?.database !== undefined ? { database: astraError.database } : {}),
    ...(result ? { result } : {}),
  });
}

/**
 * What became of each database of a project upgrade that failed, for --json:
 * `upgraded` (and left so), `restored` (from `backupId`), `not-restored`
 * (the restore of `backupId` failed: do it by hand), `failed` (the one that
 * failed, with what its own upgrade says of it), `not-run`.
 */
export type MemberOutcome =
  { outcome: 'upgraded' | 'restored' | 'not-restored'; backupId: string | null } | { outcome: 'failed'; database: string } | { outcome: 'not-run' };

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
  clickhouseMembers: Member[] = [],
): Promise<ProjectUpgradeReport> {
  const ports = new Map(members.map((member) => [member.name, portsFor(member.context)]));
  const clickhouse = clickhouseMembers.length > 0 ? await import('../clickhouse/upgrade.js') : undefined;

  // Every plan and checklist before anything changes.
  const plans: { member: Member; prepared: Prepared }[] = [];
  for (const member of members) {
    try {
      const prepared = await prepareUpgrade(member.context, options, ports.get(member.name)!);
      const { plan } = prepared;
      // Every plan is read before the consent is asked (with --json, the report carries them).
      if (member.context.progress !== 'quiet') member.context.log.info(renderPlanText(prepared.render));
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
  // The ClickHouse databases' plans, read before anything changes too.
  const clickhousePlans: { member: Member; settings: ClickhouseSettings; plan: ClickhouseUpgradePlan }[] = [];
  for (const member of clickhouseMembers) {
    try {
      const settings = member.context.clickhouse!;
      const plan = await clickhouse!.planClickhouseUpgrade(settings);
      if (member.context.progress !== 'quiet') member.context.log.info(clickhouse!.renderClickhousePlan(plan));
      clickhousePlans.push({ member, settings, plan });
    } catch (error) {
      throw tagged(member.name, error, ' No database of the project was changed.');
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
  const clickhousePending = clickhousePlans.filter(({ plan }) => plan.pending.length > 0);
  const clickhouseBreaking = clickhousePending.some(({ plan }) => plan.breaking.length > 0);
  if (clickhouseBreaking || (clickhousePending.length > 0 && !plans.some(({ prepared }) => prepared.plan.pending.length > 0))) {
    await clickhouseConsent(clickhousePending, options);
  }

  const done: { member: Member; report: UpgradeReport }[] = [];
  const clickhouseDone: { member: Member; settings: ClickhouseSettings; plan: ClickhouseUpgradePlan; applied: ClickhouseApplied[] }[] = [];
  // Watched from the first database to the last: an interruption between two
  // databases stops before the next one starts, and the ones done are restored.
  const first = plans[0]?.member.context ?? clickhouseMembers[0]?.context;
  await whileWatching(
    first?.signal,
    (line) => first?.log.warn(line),
    async (watch) => {
      for (const { member } of plans) {
        try {
          const stopped = watch.received();
          if (stopped) {
            throw interruptedError(stopped, `before ${member.name} was upgraded`, `${member.name} was not changed.`, 'Run astra upgrade again when ready.');
          }
          // The watch's own signal reaches this database's work, also while it prepares.
          const context = withSignal(member.context, () => (watch.received() ? watch.signal : member.context.signal));
          done.push({ member, report: await runUpgrade(context, { ...options, consented: true }, ports.get(member.name)!) });
        } catch (error) {
          throw await restoreEarlier(
            member,
            error,
            done,
            options,
            ports,
            plans.map((plan) => plan.member),
          );
        }
      }
      // ClickHouse last: its DDL cannot be undone but by .down.sql files, so it runs once every PostgreSQL database is through.
      for (const { member, settings, plan } of clickhousePending) {
        try {
          const stopped = watch.received();
          if (stopped)
            throw interruptedError(stopped, `before ${member.name} was upgraded`, `${member.name} was not changed.`, 'Run astra upgrade again when ready.');
          const run = { log: member.context.log, signal: watch.signal, lockWaitMs: options.lockWaitMs };
          clickhouseDone.push({ member, settings, plan, applied: await clickhouse!.upgradeClickhouse(settings, run) });
        } catch (error) {
          const undone: string[] = [];
          for (const earlier of [...clickhouseDone].reverse()) {
            const run = { log: earlier.member.context.log, lockWaitMs: options.lockWaitMs };
            const said = await clickhouse!
              .undoClickhouse(earlier.settings, earlier.applied, run)
              .catch((undoError: unknown) => `not undone: ${errorMessage(undoError)}`);
            undone.push(`${earlier.member.name}: ${said}`);
          }
          const stays = ` ${member.name} (ClickHouse) stays where it stopped; run astra upgrade again once the cause is fixed: it resumes at the failed statement.`;
          const restored = await restoreEarlier(member, error, done, options, ports, [
            ...plans.map((one) => one.member),
            ...clickhousePending.map((one) => one.member),
          ]);
          throw new AstraError(`${restored.message}${stays}${undone.length > 0 ? ` Other ClickHouse databases: ${undone.join('; ')}.` : ''}`, {
            fix: restored.fix,
            exitCode: restored.exitCode,
            cause: error,
            database: 'changed',
            ...(restored.result ? { result: restored.result } : {}),
          });
        }
      }
    },
    { announce: (signal) => `Interrupted (${signal}): stopping at the next safe point; the databases already upgraded will be restored…` },
  );
  const databases: Record<string, UpgradeReport | ClickhouseUpgradeReport> = Object.fromEntries(done.map(({ member, report }) => [member.name, report]));
  for (const { member, plan } of clickhousePlans) {
    const applied = clickhouseDone.find((entry) => entry.member.name === member.name)?.applied ?? [];
    databases[member.name] = { kind: 'clickhouse', dryRun: false, plan, applied };
    member.context.log.info(
      applied.length > 0 ? `Upgraded ClickHouse ${plan.database}: ${applied.length} migration(s).` : `ClickHouse ${plan.database} was up to date.`,
    );
  }
  // Every database is upgraded by now: a set file that cannot be written is a warning, not a failure.
  const backupSet = await writeBackupSet(backupRoot, done).catch((error: unknown) => {
    first?.log.warn(`The backup set could not be written to ${backupRoot}: ${errorMessage(error)}; each database's backup is in its own folder.`);
    return null;
  });
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
  all: Member[],
): Promise<AstraError> {
  const outcomes: Record<string, MemberOutcome> = {};
  for (const member of all) outcomes[member.name] = { outcome: 'not-run' };
  for (const { member, report } of done) outcomes[member.name] = { outcome: 'upgraded', backupId: report.backup?.id ?? null };
  outcomes[failedMember.name] = { outcome: 'failed', database: (error instanceof AstraError ? error.database : undefined) ?? 'unknown' };
  const result = () => ({ databases: outcomes });
  const changed = done.filter(({ report }) => report.applied.length > 0);
  if (changed.length === 0) return tagged(failedMember.name, error, '', result());
  const names = changed.map(({ member }) => member.name).join(', ');
  if (options.noRollback || changed.some(({ report }) => report.backup === null)) {
    return tagged(
      failedMember.name,
      error,
      ` ${names} stay${changed.length === 1 ? 's' : ''} upgraded (${options.noRollback ? '--no-rollback' : 'no backup was taken'}): the databases are at different releases.`,
      result(),
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
      outcomes[member.name] = { outcome: 'restored', backupId };
    } catch (restoreError) {
      member.context.log.error(`The restore of backup ${backupId} failed: ${errorMessage(restoreError)}`);
      notRestored.push(`${member.name} (astra rollback --db ${member.name} --backup ${backupId})`);
      outcomes[member.name] = { outcome: 'not-restored', backupId };
    }
  }
  const said = [
    restored.length > 0 ? ` ${restored.join(', ')} ${restored.length === 1 ? 'was' : 'were'} restored from the backup taken before this upgrade.` : '',
    notRestored.length > 0 ? ` Not restored, do it by hand: ${notRestored.join(', ')}.` : '',
  ].join('');
  return tagged(failedMember.name, error, said, result());
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

/**
 * The consent for the ClickHouse databases: asked when the upgrade changes
 * only them (with PostgreSQL databases, theirs covers them), or when one has
 * a breaking migration (a DROP), which needs --allow-breaking with --yes.
 */
async function clickhouseConsent(pending: { member: Member; plan: ClickhouseUpgradePlan }[], options: UpgradeOptions): Promise<void> {
  if (options.consented) return;
  const { context } = pending[0]!.member;
  const breaking = pending.flatMap(({ member, plan }) => plan.breaking.map((file) => `${member.name}: ${file}`));
  if (context.yes && (breaking.length === 0 || options.allowBreaking)) return;
  if (!context.confirm || context.yes) {
    throw new AstraError(
      breaking.length > 0
        ? `This upgrade has breaking ClickHouse migration(s) (${breaking.join(', ')}), which ${context.yes ? '--yes alone does not accept' : 'need a confirmation and there is no terminal to ask on'}; no database of the project was changed.`
        : 'There is no terminal to confirm the upgrade on; no database of the project was changed.',
      { exitCode: EXIT_BAD_INPUT, fix: breaking.length > 0 ? 'Run again with --yes --allow-breaking.' : 'Run again with --yes.' },
    );
  }
  const count = pending.reduce((sum, { plan }) => sum + plan.pending.length, 0);
  const question =
    breaking.length > 0
      ? `Apply breaking ClickHouse migration(s) ${breaking.join(', ')}? Continue`
      : `Apply ${count} ClickHouse migration(s) to ${pending.map(({ member }) => member.name).join(', ')}?`;
  if (!(await context.confirm(question, breaking.length === 0))) throw operationError('Upgrade cancelled; nothing was changed.');
}
