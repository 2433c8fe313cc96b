import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { astra } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SERVER_VERSIONS, serverPackagesFit, startServerOf, type VersionServer } from '../helpers/server-binaries.js';
import { match } from '../helpers/matchers.js';
import { parseJson, type DoctorReport, type StatusReport, type UpgradeReport } from '../helpers/reports.js';

/**
 * The shipped bundle on the other majors astra supports, 13 to 17, beside the
 * machine's own (the global setup's). Their server programs come from npm
 * (test/helpers/server-binaries.ts); their client tools do not, so pg_dump is
 * the machine's: new enough to back up 13 and 14, too old for 16 and 17, where
 * the backup is tested for its refusal and the upgrade runs with --no-backup.
 */
const majors = [
  { major: 13, version: SERVER_VERSIONS[13]!, dumpable: true },
  { major: 14, version: SERVER_VERSIONS[14]!, dumpable: true },
  { major: 16, version: SERVER_VERSIONS[16]!, dumpable: false },
  { major: 17, version: SERVER_VERSIONS[17]!, dumpable: false },
];

/** Tables, columns (type, nullability, default) and index names: what the migrations made. */
async function schemaOf(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<{ columns: string[]; indexes: string[] }> {
  const columns = await query(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') AS line
       FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`,
  );
  const indexes = await query("SELECT tablename || '.' || indexname AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1");
  return { columns: columns.map((row) => String(row.line)), indexes: indexes.map((row) => String(row.line)) };
}

/** A cluster of `version` with a database `app`, for the length of a describe block. */
function clusterOf(major: number, version: string) {
  const held: { server?: VersionServer; url: string; config: pg.ClientConfig } = { url: '', config: {} };
  beforeAll(async () => {
    held.server = await startServerOf(version, 'app');
    expect(held.server.major).toBe(major);
    const config = held.server.config;
    held.config = config;
    held.url = `postgresql://${config.user}:${encodeURIComponent(String(config.password))}@127.0.0.1:${config.port}/app`;
  }, 300_000);
  afterAll(async () => {
    await held.server?.close();
  });
  return held;
}

let reference: { columns: string[]; indexes: string[] };
let referenceDb: TestDatabase | undefined;

describe.runIf(serverPackagesFit)('the shipped bundle on other PostgreSQL majors', () => {
  beforeAll(async () => {
    // The machine's own major, as the reference.
    referenceDb = await createTestDatabase();
    const migrated = await astra(['migrate', 'up'], { env: { DATABASE_URL: referenceDb.url } });
    expect(migrated.exitCode, migrated.stderr).toBe(0);
    reference = await schemaOf((sql) => referenceDb!.query(sql));
  });
  afterAll(async () => {
    await referenceDb?.drop();
  });

  describe.each(majors)('PostgreSQL $major', ({ major, version, dumpable }) => {
    const server = clusterOf(major, version);
    let backupDir: string;
    beforeAll(() => {
      backupDir = mkdtempSync(join(tmpdir(), `astra-pg${major}-backups-`));
    });
    afterAll(() => {
      rmSync(backupDir, { recursive: true, force: true });
    });

    const cli = (...args: string[]) => astra(['--backup-dir', backupDir, ...args], { env: { DATABASE_URL: server.url } });
    const query = async (sql: string): Promise<Record<string, unknown>[]> => {
      const client = new pg.Client(server.config);
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    const ledger = async () => (await query('SELECT version FROM astra_migrations ORDER BY version')).map((row) => Number(row.version));

    if (dumpable) {
      it('upgrades from empty through 0.9.0 to the newest release, backed up, and doctor passes', async () => {
        const first = await cli('upgrade', '--yes', '--to', '0.9.0');
        expect(first.exitCode, first.stderr).toBe(0);
        const second = await cli('upgrade', '--yes', '--allow-breaking', '--json');
        expect(second.exitCode, second.stderr).toBe(0);
        const report = parseJson<UpgradeReport>(second.stdout);
        expect(report).toMatchObject({ ok: true, from: '0.9.0', to: '0.10.0', doctor: { ok: true } });
        expect(report.backup.id).toEqual(match.any(String));

        const doctor = await cli('doctor', '--json');
        expect(doctor.exitCode, doctor.stdout).toBe(0);
        const checks = parseJson<DoctorReport>(doctor.stdout).checks;
        expect(checks.filter((check) => check.status === 'fail')).toEqual([]);
        expect(checks.find((check) => check.id === 'server-version')?.status).toBe('ok');
        expect(await schemaOf(query)).toEqual(reference);
      });

      it('rolls back to 0.9.0 with the backup the upgrade took', async () => {
        const result = await cli('rollback', '--to', '0.9.0', '--yes');
        expect(result.exitCode, result.stderr).toBe(0);
        expect((await ledger()).at(-1)).toBe(39);
        // 0.10.0 dropped users.api_key: it is back.
        expect(await query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'api_key'")).toHaveLength(1);
      });
    } else {
      it('refuses to upgrade with a pg_dump too old for the server, before any change', async () => {
        const result = await cli('upgrade', '--yes', '--allow-breaking');
        expect(result.exitCode).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`pg_dump 1[0-5]\\.\\d+ \\(\\S+\\) is older than the PostgreSQL ${major} server`));
        expect(await query("SELECT 1 FROM pg_tables WHERE tablename = 'astra_migrations'")).toEqual([]);
      });

      it('upgrades from empty to the newest release with --no-backup, and doctor fails only the client tools', async () => {
        const result = await cli('upgrade', '--yes', '--allow-breaking', '--no-backup');
        expect(result.exitCode, result.stderr).toBe(0);
        expect((await ledger()).at(-1)).toBe(41);
        const doctor = await cli('doctor', '--json');
        expect(doctor.exitCode).toBe(1);
        const checks = parseJson<DoctorReport>(doctor.stdout).checks;
        expect(checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual(['client-tools']);
        expect(checks.find((check) => check.id === 'client-tools')?.detail).toContain(`older than the PostgreSQL ${major} server`);
        expect(await schemaOf(query)).toEqual(reference);
      });
    }
  });
});

describe.runIf(serverPackagesFit)('doctor on a PostgreSQL major outside 13 to 17', () => {
  describe('PostgreSQL 12', () => {
    const server = clusterOf(12, '12.22.0-beta.15');
    it('fails the server version, naming the supported range, and upgrade stops before any change', async () => {
      const doctor = await astra(['doctor', '--json'], { env: { DATABASE_URL: server.url } });
      expect(doctor.exitCode).toBe(1);
      const check = parseJson<DoctorReport>(doctor.stdout).checks.find((entry) => entry.id === 'server-version');
      expect(check).toMatchObject({ status: 'fail', detail: match.stringMatching(/^PostgreSQL 12\.\d+ is older than astra supports \(13 to 17\)$/) });
      const upgrade = await astra(['upgrade', '--yes'], { env: { DATABASE_URL: server.url } });
      expect(upgrade.exitCode).toBe(1);
      expect(upgrade.stderr).toContain('older than astra supports');
      const status = await astra(['status', '--json'], { env: { DATABASE_URL: server.url } });
      expect(parseJson<StatusReport>(status.stdout).databaseVersion ?? null).toBeNull();
    });
  });

  describe('PostgreSQL 18', () => {
    const server = clusterOf(18, '18.4.0-beta.17');
    it('warns that the server is newer than astra is tested with', async () => {
      const doctor = await astra(['doctor', '--json'], { env: { DATABASE_URL: server.url } });
      const check = parseJson<DoctorReport>(doctor.stdout).checks.find((entry) => entry.id === 'server-version');
      expect(check).toMatchObject({
        status: 'warn',
        detail: match.stringMatching(/^PostgreSQL 18\.\d+ is newer than the versions astra is tested with \(13 to 17\): not tested$/),
      });
    });
  });
});

describe.skipIf(serverPackagesFit)('the shipped bundle on other PostgreSQL majors', () => {
  it.skip('needs the linux x64 server packages from npm; this machine is another platform', () => {});
});
