import { AstraError, errorMessage } from '../../errors.js';
import { findClientTool, type ClientTool } from '../../pgtools/client-tools.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

const TOOLS = ['pg_dump', 'pg_restore'] as const;

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
  const serverMajor = Math.floor(Number(rows[0]?.num) / 10_000);
  const found: ClientTool[] = [];
  const problems: { detail: string; fix: string }[] = [];
  for (const tool of TOOLS) {
    try {
      found.push(await findClientTool(tool, serverMajor, input.pgBinDir));
    } catch (error) {
      problems.push({ detail: errorMessage(error), fix: error instanceof AstraError && error.fix ? error.fix : `Install ${tool} ${serverMajor} or newer.` });
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
  run,
};
