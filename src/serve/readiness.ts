import { status } from '../index.js';
import type { ServedDatabase } from './databases.js';
import { errorBody, type Reply } from './replies.js';

/** How long readiness waits for one database before calling it unreachable. */
const READY_TIMEOUT_MS = 5000;

interface DatabaseReadiness {
  ready: boolean;
  required: boolean;
  /** Why it is not ready: unreachable, dirty, pending migrations. */
  reasons: string[];
  applied?: number;
  pending?: number;
  dirty?: number;
}

async function readinessOf(served: ServedDatabase, log: (line: string) => void): Promise<DatabaseReadiness> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`it did not answer within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
  });
  try {
    const report = await Promise.race([status({ ...served.options, signal: controller.signal }), timeout]);
    const reasons = [
      ...(report.dirty > 0 ? [`${report.dirty} migration${report.dirty === 1 ? ' is' : 's are'} dirty (started and not finished)`] : []),
      ...(report.pending > 0 ? [`${report.pending} migration${report.pending === 1 ? ' is' : 's are'} pending`] : []),
    ];
    return { ready: reasons.length === 0, required: served.required, reasons, applied: report.applied, pending: report.pending, dirty: report.dirty };
  } catch (error) {
    // The probe is open to anyone who reaches the server: the cause, which names hosts and users, goes to the log only.
    log(`readiness of ${served.name}: ${errorBody(error).message}`);
    return { ready: false, required: served.required, reasons: ['unreachable (the server log says why)'] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /readyz`: 200 when every required database answers, has nothing dirty
 * and nothing pending; 503 with each database's reasons otherwise. A database
 * the project file marks `required: false` is reported and does not count.
 */
export async function readiness(chosen: ServedDatabase[], log: (line: string) => void): Promise<Reply> {
  const states = await Promise.all(chosen.map((served) => readinessOf(served, log)));
  const databases = Object.fromEntries(chosen.map((served, index) => [served.name, states[index]!]));
  const ready = states.every((state) => state.ready || !state.required);
  return { status: ready ? 200 : 503, body: { ok: ready, databases } };
}
