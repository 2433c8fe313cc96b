import { AstraError, errorMessage } from '../../errors.js';
import { searchClientTool, usableClientTool, type ClientTool, type ClientToolSearch } from '../../pgtools/client-tools.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

const TOOLS = ['pg_dump', 'pg_restore'] as const;

/**
 * The searches of one doctor run, started by `prepare` before the connection
 * is open (neither waits on the other) and taken by `run`. Keyed by the run's
 * target, which every copy of the run's input shares; removed once taken, so
 * that a long-lived process (serve) searches again next time.
 */
const started = new WeakMap<DoctorInput['target'], Promise<ClientToolSearch[]>>();

function prepare(input: DoctorInput): void {
  if (started.has(input.target)) return;
  const searches = Promise.all(TOOLS.map((tool) => searchClientTool(tool, input.pgBinDir)));
  // Taken by run; a failure is reported there, never as an unhandled rejection.
  searches.catch(() => {});
  started.set(input.target, searches);
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  prepare(input);
  const searches = started.get(input.target)!;
  started.delete(input.target);
  const db = await input.database();
  const { rows } = await db.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
  const serverMajor = Math.floor(Number(rows[0]?.num) / 10_000);
  const found: ClientTool[] = [];
  const problems: { detail: string; fix: string }[] = [];
  for (const search of await searches) {
    try {
      found.push(usableClientTool(search, serverMajor));
    } catch (error) {
      problems.push({
        detail: errorMessage(error),
        fix: error instanceof AstraError && error.fix ? error.fix : `Install ${search.tool} ${serverMajor} or newer.`,
      });
    }
  }
  if (problems.length > 0) {
    return {
      status: 'fail',
      detail: `${problems.map((problem) => problem.detail).join(' ')} Without them astra can neither back up nor restore.`,
      fix: [...new Set(problems.map((problem) => problem.fix))].join(' '),
    };
  }
  return { status: 'ok', detail: `${found.map((tool) => `${tool.name} ${tool.version} (${tool.path})`).join(', ')}; the server is PostgreSQL ${serverMajor}` };
}

export const clientTools: DoctorCheck = {
  id: 'client-tools',
  title: 'pg_dump and pg_restore',
  area: 'tools',
  connection: 'needs',
  prepare,
  run,
};
