import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

export const OLDEST_SUPPORTED_MAJOR = 13;
export const NEWEST_TESTED_MAJOR = 17;

/** Decides on a server version number such as 150018. */
export function judgeServerVersion(versionNum: number, versionText: string): CheckOutcome {
  const major = Math.floor(versionNum / 10_000);
  const range = `${OLDEST_SUPPORTED_MAJOR} to ${NEWEST_TESTED_MAJOR}`;
  if (major < OLDEST_SUPPORTED_MAJOR) {
    return {
      status: 'fail',
      detail: `PostgreSQL ${versionText} is older than astra supports (${range})`,
      fix: `Upgrade the server to PostgreSQL ${NEWEST_TESTED_MAJOR} (pg_upgrade, or dump and restore) before upgrading the application.`,
    };
  }
  if (major > NEWEST_TESTED_MAJOR) {
    return {
      status: 'warn',
      detail: `PostgreSQL ${versionText} is newer than the versions astra is tested with (${range}): not tested`,
      fix: 'Take a backup before upgrading (astra backup create) and watch the upgrade closely; report anything odd.',
    };
  }
  return { status: 'ok', detail: `PostgreSQL ${versionText} (supported: ${range})` };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  return judgeServerVersion(Number(rows[0]?.num), rows[0]?.text ?? 'unknown');
}

export const serverVersion: DoctorCheck = {
  id: 'server-version',
  title: 'Server version',
  area: 'database',
  connection: 'needs',
  run,
};
