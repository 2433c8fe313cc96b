import { formatMs } from '../../duration.js';
import { errorMessage } from '../../errors.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** What asking the application gave. */
export type HealthAnswer =
  { kind: 'status'; status: number; statusText: string; ms: number } | { kind: 'timeout'; ms: number } | { kind: 'error'; message: string };

export function judgeHealthAnswer(url: string, answer: HealthAnswer): CheckOutcome {
  const fix = 'Check the application: its logs, that it is running, and that it can reach the database; then run astra doctor again.';
  switch (answer.kind) {
    case 'status':
      if (answer.status >= 200 && answer.status < 300) return { status: 'ok', detail: `${url} answered ${answer.status} in ${formatMs(answer.ms)}` };
      return { status: 'fail', detail: `${url} answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}, not 200`, fix };
    case 'timeout':
      return { status: 'fail', detail: `${url} did not answer within ${formatMs(answer.ms)} (--health-timeout)`, fix };
    case 'error':
      return { status: 'fail', detail: `${url} could not be reached: ${answer.message}`, fix };
  }
}

/** Asks the URL once, following redirects, giving up after `timeoutMs` or when `cancel` aborts. */
export async function askHealthUrl(url: string, timeoutMs: number, cancel?: AbortSignal): Promise<HealthAnswer> {
  const started = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const stop = () => controller.abort();
  cancel?.addEventListener('abort', stop, { once: true });
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow', headers: { accept: 'application/json, text/plain, */*' } });
    await response.body?.cancel().catch(() => {});
    return { kind: 'status', status: response.status, statusText: response.statusText, ms: performance.now() - started };
  } catch (error) {
    if (timedOut) return { kind: 'timeout', ms: timeoutMs };
    const cause = (error as { cause?: unknown }).cause;
    return { kind: 'error', message: cause ? errorMessage(cause) : errorMessage(error) };
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', stop);
  }
}

/** The URL as the report shows it: no user, password or query string, which may carry secrets. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  const hadQuery = parsed.search !== '';
  parsed.search = '';
  parsed.hash = '';
  return `${parsed.toString()}${hadQuery ? '?…' : ''}`;
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const url = input.healthUrl!;
  return judgeHealthAnswer(displayUrl(url), await askHealthUrl(url, input.healthTimeoutMs, input.signal));
}

export const healthUrl: DoctorCheck = {
  id: 'health-url',
  title: 'Application health',
  area: 'application',
  connection: 'none',
  enabled: (input) => input.healthUrl !== undefined,
  run,
};
