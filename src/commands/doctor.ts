import type { Command } from 'commander';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_HEALTH_TIMEOUT_MS } from '../defaults.js';
import type { DoctorOptions } from '../doctor/runner.js';
import type { DoctorReport } from '../doctor/types.js';
import { parseDuration } from '../duration.js';
import { AstraError, EXIT_FAILED, inputError } from '../errors.js';
import { letConnectionStart } from '../pause.js';
import { useColor } from '../ui/log.js';
import type { Context, Wrap } from './context.js';

interface DoctorFlags {
  pgBinDir?: string;
  healthUrl?: string;
  healthTimeout?: string;
  checkTimeout?: string;
  strict?: boolean;
}

/**
 * Marks an error whose command printed its result before failing: with
 * --json, the report is the one JSON document on stdout, and the CLI prints
 * no second one for the error.
 */
const ALREADY_REPORTED = { alreadyReported: true };

/**
 * The checks did not all pass. The report has been printed already, so this
 * carries only the one-line verdict and the exit code.
 */
export class DoctorFailedError extends AstraError {
  readonly report: DoctorReport;

  constructor(report: DoctorReport, strict: boolean) {
    const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
    const warned = strict ? report.checks.filter((check) => check.status === 'warn').map((check) => check.id) : [];
    const parts = [
      ...(failed.length > 0 ? [`${failed.length} ${failed.length === 1 ? 'check' : 'checks'} failed: ${failed.join(', ')}`] : []),
      ...(warned.length > 0 ? [`${warned.length} ${warned.length === 1 ? 'check' : 'checks'} warned (--strict): ${warned.join(', ')}`] : []),
    ];
    super(`doctor: ${parts.join('; ')}`, {
      exitCode: EXIT_FAILED,
      fix: 'Follow the fix under each check above, then run astra doctor again.',
      ...ALREADY_REPORTED,
    });
    this.name = 'DoctorFailedError';
    this.report = report;
  }
}

export function doctorOptions(flags: DoctorFlags): DoctorOptions {
  if (flags.healthUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(flags.healthUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      // Not echoed whole: a URL may carry credentials.
      const shown = url ? `${url.protocol}//${url.host}` : 'the value given';
      throw inputError(
        `--health-url (${shown}) is not an http:// or https:// URL.`,
        'Give the address the application answers health checks on, e.g. http://127.0.0.1:8080/health.',
      );
    }
  }
  const checkTimeoutMs = flags.checkTimeout ? parseDuration(flags.checkTimeout, '--check-timeout') : DEFAULT_CHECK_TIMEOUT_MS;
  const healthTimeoutMs = flags.healthTimeout ? parseDuration(flags.healthTimeout, '--health-timeout') : DEFAULT_HEALTH_TIMEOUT_MS;
  if (checkTimeoutMs <= 0) throw inputError('--check-timeout must be longer than 0.', 'Give it like 10s.');
  if (healthTimeoutMs <= 0) throw inputError('--health-timeout must be longer than 0.', 'Give it like 5s.');
  const pgBinDir = flags.pgBinDir || process.env.ASTRA_PG_BIN_DIR || undefined;
  return {
    ...(pgBinDir ? { pgBinDir } : {}),
    ...(flags.healthUrl ? { healthUrl: flags.healthUrl } : {}),
    checkTimeoutMs,
    healthTimeoutMs,
    strict: flags.strict === true,
  };
}

/** `astra doctor`: runs the health checks, prints the report, and fails when a check failed. */
export async function doctor(context: Context, options: DoctorOptions): Promise<DoctorReport> {
  const target = await context.target();
  // The connection opens while the checks' code loads; the run closes it, or this does when that code cannot load.
  const { timedConnect } = await import('../doctor/connect.js');
  const connection = timedConnect(target, options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
  connection.catch(() => {});
  await letConnectionStart();
  let modules: [typeof import('../doctor/runner.js'), typeof import('../doctor/report.js')];
  try {
    modules = await Promise.all([import('../doctor/runner.js'), import('../doctor/report.js')]);
  } catch (error) {
    void connection.then(
      ({ database }) => database.close(),
      () => {},
    );
    throw error;
  }
  const [{ runDoctor }, { renderReport }] = modules;
  const report = await runDoctor(
    {
      target,
      opening: connection,
      migrationsDir: context.migrationsDir,
      versions: context.versions,
      backupDir: context.backupDir,
      seeds: context.seeds,
    },
    options,
  );
  context.out(renderReport(report, useColor(process.stdout)));
  if (!report.ok) {
    context.emit(report);
    throw new DoctorFailedError(report, options.strict === true);
  }
  return report;
}

/** Adds the `doctor` command to the program. */
export function registerDoctor(program: Command, run: Wrap): void {
  program
    .command('doctor')
    .description('health checks: says what is wrong and how to fix it; exit 1 when a check fails')
    .option('--pg-bin-dir <dir>', 'folder of pg_dump and pg_restore (else ASTRA_PG_BIN_DIR, else PATH and the usual places)')
    .option('--health-url <url>', 'also check that the application answers 200 on this URL')
    .option('--health-timeout <duration>', 'how long the application may take to answer', '5s')
    .option('--check-timeout <duration>', 'how long any one check may take before it fails', '10s')
    .option('--strict', 'warnings fail too (exit 1)')
    .action(run((context, flags) => doctor(context, doctorOptions(flags as DoctorFlags))));
}
