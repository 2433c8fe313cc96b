import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

export interface VectorExtension {
  /** The server has pgvector's files (pg_available_extensions lists it). */
  available: boolean;
  installedVersion: string | null;
}

/** Decides on pgvector, which semantic memory needs. */
export function judgeVectorExtension(vector: VectorExtension, serverMajor: number): CheckOutcome {
  if (vector.installedVersion) return { status: 'ok', detail: `pgvector ${vector.installedVersion} is installed: semantic memory is enabled` };
  if (vector.available) {
    return {
      status: 'warn',
      detail: 'pgvector is available on the server but not installed in this database: semantic memory is disabled',
      fix: 'Run CREATE EXTENSION vector; in this database (as its owner or a superuser), then astra upgrade to build the memory indexes.',
    };
  }
  return {
    status: 'warn',
    detail: 'pgvector is not available on this server: semantic memory is disabled',
    fix: `Install pgvector on the database server (e.g. apt-get install postgresql-${serverMajor}-pgvector), then run CREATE EXTENSION vector; in this database.`,
  };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{ num: string; available: boolean; installed_version: string | null }>(
    `SELECT current_setting('server_version_num') AS num,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available,
            (SELECT installed_version FROM pg_available_extensions WHERE name = 'vector') AS installed_version`,
  );
  const row = rows[0];
  return judgeVectorExtension({ available: row?.available === true, installedVersion: row?.installed_version ?? null }, Math.floor(Number(row?.num) / 10_000));
}

export const extensions: DoctorCheck = {
  id: 'extensions',
  title: 'Extensions',
  area: 'database',
  connection: 'needs',
  run,
};
