import { formatMs } from '../duration.js';
import { AstraError, errorMessage } from '../errors.js';
import { createDoctorInput, type DoctorContext } from './input.js';
import { doctorChecks } from './registry.js';
import { CHECK_AREAS, type CheckOutcome, type CheckResult, type DoctorCheck, type DoctorInput, type DoctorReport } from './types.js';
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_HEALTH_TIMEOUT_MS } from '../defaults.js';

export type { DoctorContext } from './input.js';

export { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_HEALTH_TIMEOUT_MS };

export interface DoctorOptions {
  pgBinDir?: string;
  healthUrl?: string;
  healthTimeoutMs?: number;
  /** Longest a single check may take before it is reported as failed. */
  checkTimeoutMs?: number;
  /** Warnings count as failures too. */
  strict?: boolean;
  /** The checks to run (default: all of the registry). */
  checks?: readonly DoctorCheck[];
  now?: Date;
}

class CheckTimeout extends Error {}

/** Settles with the outcome of `work`, or rejects with CheckTimeout after `ms`. */
function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(check: DoctorCheck, input: DoctorInput, timeoutMs: number): Promise<CheckOutcome> {
  // The time spent connecting (bounded by the same limit) does not count against a check.
  if (check.connection !== 'none') {
    try {
      await input.database();
    } catch {
      if (check.connection === 'needs') {
        return { status: 'fail', detail: 'skipped: no connection', fix: 'Fix the connection first (see the connection check).' };
      }
    }
  }
  // Aborted when this check runs out of time, or when the whole run is over.
  const cancel = new AbortController();
  const stop = () => cancel.abort();
  input.signal.addEventListener('abort', stop, { once: true });
  const work = Promise.resolve().then(() => check.run({ ...input, signal: cancel.signal }));
  // A check that lost the race may still reject later; that is not news.
  work.catch(() => {});
  try {
    return await withinTime(work, timeoutMs);
  } catch (error) {
    cancel.abort();
    if (error instanceof CheckTimeout) {
      return {
        status: 'fail',
        detail: `timed out: no result within ${formatMs(timeoutMs)} (--check-timeout)`,
        fix: 'Look for what it waits on (a busy server, a lock, an unreachable address), or give it longer with --check-timeout.',
      };
    }
    const fix = error instanceof AstraError && error.fix ? error.fix : 'Run astra doctor again with --debug; if the error persists, check the server log.';
    return { status: 'fail', detail: `the check could not run: ${errorMessage(error)}`, fix };
  } finally {
    input.signal.removeEventListener('abort', stop);
  }
}

/** Orders results by area, keeping the registry's order within an area. */
export function byArea(results: CheckResult[]): CheckResult[] {
  return [...results].sort((a, b) => CHECK_AREAS.indexOf(a.area) - CHECK_AREAS.indexOf(b.area));
}

/** Counts statuses and decides whether the run passes. */
export function summarize(results: CheckResult[], strict: boolean): Pick<DoctorReport, 'ok' | 'summary'> {
  const summary = { ok: 0, warn: 0, fail: 0 };
  for (const result of results) summary[result.status]++;
  return { ok: summary.fail === 0 && (!strict || summary.warn === 0), summary };
}

/**
 * Runs the health checks in parallel, each within the check timeout, and
 * returns the report. Never throws for what a check finds: a failure is a
 * line of the report. The upgrade calls this as its last stage.
 */
export async function runDoctor(context: DoctorContext, options: DoctorOptions = {}): Promise<DoctorReport> {
  const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const { input, close } = createDoctorInput(context, {
    ...(options.pgBinDir !== undefined ? { pgBinDir: options.pgBinDir } : {}),
    ...(options.healthUrl !== undefined ? { healthUrl: options.healthUrl } : {}),
    healthTimeoutMs: options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
    checkTimeoutMs,
    now: options.now ?? new Date(),
  });
  try {
    const checks = (options.checks ?? doctorChecks).filter((check) => check.enabled?.(input) ?? true);
    for (const check of checks) check.prepare?.(input);
    const results = await Promise.all(
      checks.map(async (check): Promise<CheckResult> => {
        const outcome = await runOne(check, input, checkTimeoutMs);
        return { id: check.id, title: check.title, area: check.area, status: outcome.status, detail: outcome.detail, fix: outcome.fix ?? null };
      }),
    );
    const ordered = byArea(results);
    return { ...summarize(ordered, options.strict === true), database: context.target.label, checks: ordered };
  } finally {
    await close();
  }
}
