import type { Command } from 'commander';
import { inputError } from '../errors.js';
import { createLog } from '../ui/log.js';
import { parseDuration } from '../duration.js';
import type { UpgradeOptions, UpgradeReport } from '../upgrade/run.js';
import type { Context, ProjectMember, ProjectRun, Wrap } from './context.js';
import { runOptions, waitForDb, withLockFlags, WAIT_FOR_DB_OPTION, type LockFlags } from './migrate.js';

/** The upgrade engine, loaded when a command runs rather than to print --help. */
async function engine() {
  const [run, render, ports] = await Promise.all([import('../upgrade/run.js'), import('../upgrade/render.js'), import('../upgrade/default-ports.js')]);
  return { ...run, ...render, ...ports };
}

interface UpgradeFlags extends LockFlags {
  to?: string;
  dryRun?: boolean;
  allowBreaking?: boolean;
  backup?: boolean;
  rollback?: boolean;
  pgBinDir?: string;
  longTransaction?: string;
  waitForDb?: string;
}

function upgradeOptions(flags: UpgradeFlags): UpgradeOptions {
  const pgBinDir = flags.pgBinDir ?? process.env.ASTRA_PG_BIN_DIR;
  return {
    ...runOptions(flags),
    ...(flags.to ? { to: flags.to } : {}),
    ...(pgBinDir ? { pgBinDir } : {}),
    dryRun: flags.dryRun === true,
    allowBreaking: flags.allowBreaking === true,
    noBackup: flags.backup === false,
    noRollback: flags.rollback === false,
    longTransactionSeconds: Math.round(parseDuration(flags.longTransaction ?? '60s', '--long-transaction') / 1000),
  };
}

async function checklist(context: Context, flags: UpgradeFlags & { format?: string }): Promise<unknown> {
  const format = flags.format ?? 'text';
  if (format !== 'text' && format !== 'md')
    throw inputError(`--format ${format} is not a format astra knows.`, 'Use --format md for Markdown, or leave it out for text.');
  const options = upgradeOptions({ ...flags, dryRun: true });
  const { prepareUpgrade, createUpgradePorts, renderPlanMarkdown, renderPlanText } = await engine();
  const prepared = await prepareUpgrade(context, options, createUpgradePorts(context, options));
  context.out(format === 'md' ? renderPlanMarkdown(prepared.render) : renderPlanText(prepared.render));
  return { from: prepared.plan.from, to: prepared.plan.to, plan: prepared.plan, checklist: prepared.items, rollbackCommand: prepared.render.rollbackCommand };
}

/** `astra upgrade`: the plan and the checklist on stdout for a dry run; the upgrade itself otherwise. */
async function upgrade(context: Context, options: UpgradeOptions): Promise<UpgradeReport> {
  const { createUpgradePorts, runUpgrade, planUpgradeRun, renderPlanText, dryRunVerdict } = await engine();
  const ports = createUpgradePorts(context, options);
  if (!options.dryRun) return runUpgrade(context, options, ports);
  const { prepared, report } = await planUpgradeRun(context, options, ports);
  context.out(renderPlanText(prepared.render));
  context.out(`\n${dryRunVerdict(prepared)}`);
  return report;
}

/** `astra upgrade` on a project: every database, as one release (see upgradeProject). */
async function upgradeOnProject(members: ProjectMember[], project: ProjectRun, options: UpgradeOptions): Promise<unknown> {
  if (members.length === 0)
    throw inputError(
      `No database of ${project.file} can be upgraded: ${Object.entries(project.skipped)
        .map(([name, why]) => `${name} (${why})`)
        .join('; ')}.`,
      'Set the URL of the databases to upgrade.',
    );
  const [{ upgradeProject, tagged, commonTarget }, { createUpgradePorts }] = await Promise.all([
    import('../project/upgrade.js'),
    import('../upgrade/default-ports.js'),
  ]);
  const postgres = members.filter((member) => !member.context.clickhouse);
  const clickhouse = members.filter((member) => member.context.clickhouse);
  if (options.dryRun) {
    const databases: Record<string, unknown> = {};
    const reports: UpgradeReport[] = [];
    for (const member of members) {
      try {
        if (member.context.clickhouse) {
          const { planClickhouseUpgrade, renderClickhousePlan } = await import('../clickhouse/upgrade.js');
          const plan = await planClickhouseUpgrade(member.context.clickhouse);
          member.context.out(renderClickhousePlan(plan));
          databases[member.name] = { kind: 'clickhouse', dryRun: true, plan, applied: [] };
          continue;
        }
        const report = await upgrade(member.context, options);
        reports.push(report);
        databases[member.name] = report;
      } catch (error) {
        throw tagged(member.name, error);
      }
    }
    return { to: commonTarget(reports), dryRun: true, databases, backupSet: null };
  }
  const report = await upgradeProject(postgres, options, (context) => createUpgradePorts(context, options), project.backupRoot, clickhouse);
  const names = Object.keys(report.databases).join(', ');
  createLog().info(`[OK] Upgraded ${names}${report.to ? ` to ${report.to}` : ''}.${report.backupSet ? ` Backup set: ${report.backupSet}` : ''}`);
  return { ...report, ...(Object.keys(project.skipped).length > 0 ? { skipped: project.skipped } : {}) };
}

/** `astra upgrade` and `astra checklist`. */
export function registerUpgrade(program: Command, run: Wrap): void {
  withLockFlags(
    program
      .command('upgrade')
      .description('back up, apply the pending releases without locking busy tables, check with doctor; roll back on failure')
      .option('--to <version>', 'the release to upgrade to (default: the newest)')
      .option('--dry-run', 'print the plan and the checklist; change nothing')
      .option('--allow-breaking', 'apply breaking migrations without asking (with --yes)')
      .option('--no-backup', 'do not take a backup first (no automatic rollback then)')
      .option('--no-rollback', 'on failure, leave the database as it is instead of restoring the backup')
      .option('--pg-bin-dir <dir>', 'folder of pg_dump and pg_restore (else ASTRA_PG_BIN_DIR, PATH, pg_config)')
      .option('--long-transaction <duration>', 'a transaction open this long on a table the upgrade changes blocks it', '60s')
      .option(...WAIT_FOR_DB_OPTION),
  ).action(
    run(
      async (context, flags) => {
        const options = upgradeOptions(flags as UpgradeFlags);
        await waitForDb(context, (flags as UpgradeFlags).waitForDb);
        return upgrade(context, options);
      },
      async (members, project, flags) => {
        const options = upgradeOptions(flags as UpgradeFlags);
        // The databases are waited for together (the duration bounds the whole wait), and one that fails stops the others.
        const failed = new AbortController();
        await Promise.all(
          members.map((member) => {
            const signals = [failed.signal, ...(member.context.signal ? [member.context.signal] : [])];
            return waitForDb({ ...member.context, signal: AbortSignal.any(signals) }, (flags as UpgradeFlags).waitForDb).catch((error: unknown) => {
              failed.abort();
              throw error;
            });
          }),
        );
        return upgradeOnProject(members, project, options);
      },
    ),
  );

  program
    .command('checklist')
    .description('the pre-upgrade checklist as a document to follow or paste into a runbook')
    .option('--to <version>', 'the release to upgrade to (default: the newest)')
    .option('--format <format>', 'text or md', 'text')
    .option('--pg-bin-dir <dir>', 'folder of pg_dump and pg_restore')
    .action(run((context, flags) => checklist(context, flags as UpgradeFlags & { format?: string })));
}
