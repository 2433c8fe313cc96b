import { AstraError, errorMessage } from '../../errors.js';
import { searchClientTool, usableClientTool, type ClientTool } from '../../pgtools/client-tools.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

const TOOLS = ['pg_dump', 'pg_restore'] as const;

async function run(input: DoctorInput): Promise<CheckOutcome> {
  // The programs are looked for while the connection is being opened: neither waits on the other.
  const searches = Promise.all(TOOLS.map((tool) => searchClientTool(tool, input.pgBinDir)));
  let db;
  try {
    db = await input.database();
  } catch {
    await searches.catch(() => {});
    return { status: 'fail', detail: 'skipped: no connection', fix: 'Fix the connection first (see the connection check).' };
  }
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
  // It looks for the programs before the connection is open, and says itself when there is none.
  connection: 'none',
  run,
};
