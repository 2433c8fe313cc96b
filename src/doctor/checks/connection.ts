import { formatMs } from '../../duration.js';
import { AstraError, errorMessage } from '../../errors.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** A round trip slower than this makes every migration statement slow. */
export const SLOW_ROUND_TRIP_MS = 500;

async function run(input: DoctorInput): Promise<CheckOutcome> {
  let facts;
  try {
    facts = await input.connectionFacts();
  } catch (error) {
    return {
      status: 'fail',
      detail: errorMessage(error),
      fix: error instanceof AstraError && error.fix ? error.fix : 'Check the database URL and that the server is running.',
    };
  }
  const connected = facts.connectMs === undefined ? '' : `, connected in ${formatMs(facts.connectMs)}`;
  const detail = `${input.target.label} as "${facts.user}"${connected}, round trip ${formatMs(facts.roundTripMs)}`;
  if (facts.roundTripMs > SLOW_ROUND_TRIP_MS) {
    return {
      status: 'warn',
      detail: `${detail}: slow (over ${formatMs(SLOW_ROUND_TRIP_MS)}), so each migration statement waits that long`,
      fix: 'Run astra from a machine near the database server (the same host or network).',
    };
  }
  return { status: 'ok', detail };
}

export const connection: DoctorCheck = {
  id: 'connection',
  title: 'Connection',
  area: 'database',
  connection: 'reports',
  run,
};
