import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra, fixturesDir } from '../helpers/cli.js';
import { withClient } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * Password authentication as the CLI does it (its bundle computes SCRAM and
 * md5 with Node's crypto: scripts/pg-crypto-on-node.cjs), on a server of its
 * own whose pg_hba.conf asks one role for an md5 password, the others for
 * SCRAM, as it does by default.
 */
let baseDir: string;
let cluster: LocalCluster;
let port: number;

const SCRAM_PASSWORD = 'pass\u00a0wörd-ﬁ'; // SASLprep maps the no-break space to a space and NFKC the ligature to "fi"
const MD5_PASSWORD = 'md5 sécret';

beforeAll(async () => {
  baseDir = mkdtempSync(join(tmpdir(), 'astra-auth-'));
  cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
  await cluster.init();
  // Before the server starts, so that it reads the line as it starts (a reload is only a signal).
  const hbaFile = join(cluster.dataDir, 'pg_hba.conf');
  writeFileSync(hbaFile, `host all app_md5 127.0.0.1/32 md5\n${readFileSync(hbaFile, 'utf8')}`);
  await cluster.start();
  await cluster.ensureDatabase('app');
  port = cluster.connectionConfig('app').port as number;
  await withClient(cluster.connectionConfig('postgres'), async (admin) => {
    await admin.query("SET password_encryption = 'md5'");
    await admin.query(`CREATE ROLE app_md5 LOGIN PASSWORD ${admin.escapeLiteral(MD5_PASSWORD)}`);
    await admin.query("SET password_encryption = 'scram-sha-256'");
    await admin.query(`CREATE ROLE app_scram LOGIN PASSWORD ${admin.escapeLiteral(SCRAM_PASSWORD)}`);
  });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(baseDir, { recursive: true, force: true });
});

const statusAs = (user: string, password: string) =>
  astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'status', '--json'], {
    env: { DATABASE_URL: `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/app` },
  });

describe('password authentication', () => {
  it('SCRAM-SHA-256 with a password SASLprep changes', async () => {
    const result = await statusAs('app_scram', SCRAM_PASSWORD);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const report = parseJson<{ database: string; pending: number }>(result.stdout);
    expect(report.database).toContain('app_scram@');
    expect(report.pending).toBeGreaterThan(0);
  });

  it('md5', async () => {
    const result = await statusAs('app_md5', MD5_PASSWORD);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(parseJson<{ database: string }>(result.stdout).database).toContain('app_md5@');
  });

  it.each([
    ['SCRAM-SHA-256', 'app_scram'],
    ['md5', 'app_md5'],
  ])('a wrong password, %s: refused in one sentence that does not show it', async (_method, user) => {
    const result = await statusAs(user, 'not-the-password');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`rejected the password for user "${user}"`);
    expect(result.stderr + result.stdout).not.toContain('not-the-password');
  });
});
