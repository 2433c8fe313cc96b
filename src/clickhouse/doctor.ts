import { summarize } from '../doctor/runner.js';
import type { CheckResult, DoctorReport } from '../doctor/types.js';
import { errorMessage, AstraError } from '../errors.js';
import { formatMs } from '../duration.js';
import { Clickhouse, clickhouseLabel } from './connection.js';
import { ClickhouseLedger } from './ledger.js';
import { loadClickhouseMigrations } from './migrations.js';
import { planClickhouse, type ClickhouseSettings } from './runner.js';

/** The oldest server the SQL astra sends was checked against (Debian's package). */
const OLDEST_TESTED = [18, 16];

type Outcome = Pick<CheckResult, 'status' | 'detail' | 'fix'>;

function result(id: string, title: string, area: CheckResult['area'], outcome: Outcome): CheckResult {
  return { id, title, area, ...outcome };
}

/**
 * `astra doctor` on a ClickHouse database: reachable, the server's version,
 * the ledger consistent with the folder, nothing pending or unfinished.
 */
export async function clickhouseDoctor(settings: ClickhouseSettings): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const started = performance.now();
  let db: Clickhouse | undefined;
  let label = clickhouseLabel(settings.url);
  try {
    db = await Clickhouse.connect(settings.url, 10_000);
    label = db.label;
    checks.push(
      result('connection', 'can connect', 'database', { status: 'ok', detail: `${db.label} answered in ${formatMs(performance.now() - started)}`, fix: null }),
    );
  } catch (error) {
    const fix = error instanceof AstraError ? (error.fix ?? null) : null;
    checks.push(result('connection', 'can connect', 'database', { status: 'fail', detail: errorMessage(error), fix }));
  }
  try {
    if (db) {
      const version = await db.serverVersion();
      const [major = 0, minor = 0] = version.split('.').map(Number);
      const old = major < OLDEST_TESTED[0]! || (major === OLDEST_TESTED[0] && minor < OLDEST_TESTED[1]!);
      checks.push(
        result('server-version', 'server version', 'database', {
          status: old ? 'warn' : 'ok',
          detail: `ClickHouse ${version}${old ? `, older than ${OLDEST_TESTED.join('.')}, the oldest astra is tested with` : ''}`,
          fix: old ? 'Upgrade the server to 18.16 or later.' : null,
        }),
      );
      checks.push(await migrationsCheck(db, settings));
    } else {
      for (const [id, title, area] of [
        ['server-version', 'server version', 'database'],
        ['migrations', 'migrations', 'schema'],
      ] as const) {
        checks.push(result(id, title, area, { status: 'fail', detail: 'skipped: no connection', fix: 'Fix the connection first.' }));
      }
    }
  } finally {
    await db?.close();
  }
  return { ...summarize(checks, false), database: label, checks };
}

async function migrationsCheck(db: Clickhouse, settings: ClickhouseSettings): Promise<CheckResult> {
  const check = (outcome: Outcome) => result('migrations', 'migrations applied, ledger consistent', 'schema', outcome);
  try {
    const migrations = loadClickhouseMigrations(settings.migrationsDir, settings.versions);
    const plan = planClickhouse(db.label, migrations, await new ClickhouseLedger(db, settings.ledgerTable).rows());
    const applied = plan.applied.filter((row) => row.state === 'applied').length;
    if (plan.resume) {
      const { migration, from, row } = plan.resume;
      return check({
        status: 'fail',
        detail: `${migration.file} stopped after statement ${from} of ${migration.statements.length}${row.error ? `: ${row.error}` : ''}`,
        fix: 'Fix the cause, then run astra migrate up: it resumes at the statement that stopped.',
      });
    }
    if (plan.pending.length > 0) {
      return check({
        status: 'warn',
        detail: `${applied} applied, ${plan.pending.length} pending (${plan.pending.map((migration) => migration.file).join(', ')})`,
        fix: 'Apply them with astra upgrade (or astra migrate up).',
      });
    }
    return check({ status: 'ok', detail: `${applied} applied, checksums match`, fix: null });
  } catch (error) {
    return check({ status: 'fail', detail: errorMessage(error), fix: error instanceof AstraError ? (error.fix ?? null) : null });
  }
}
