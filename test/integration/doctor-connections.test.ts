import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { astra, fixturesDir } from '../helpers/cli.js';

/**
 * The connections check against a server of its own whose max_connections is
 * 20, so that filling it does not starve the other tests' shared server.
 */
const MAX_CONNECTIONS = 20;
let baseDir: string;
let cluster: LocalCluster;
let url: string;
const held: pg.Client[] = [];

beforeAll(async () => {
  baseDir = mkdtempSync(join(tmpdir(), 'astra-connections-'));
  cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false });
  await cluster.init();
  await cluster.start();
  const admin = new pg.Client(cluster.connectionConfig());
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET max_connections = ${MAX_CONNECTIONS}`);
  await admin.end();
  await cluster.stop();
  await cluster.start();
  await cluster.ensureDatabase('app');
  url = cluster.connectionUrl('app');
}, 120_000);
afterAll(async () => {
  await Promise.all(held.splice(0).map((client) => client.end().catch(() => {})));
  await cluster?.stop();
  rmSync(baseDir, { recursive: true, force: true });
});

/** Opens sessions to the app database until `count` are held. */
async function holdSessions(count: number): Promise<void> {
  while (held.length < count) {
    const client = new pg.Client({ ...cluster.connectionConfig('app'), application_name: 'shop-worker' });
    await client.connect();
    held.push(client);
  }
}

async function connectionsEntry(): Promise<{ exitCode: number | undefined; check: { status: string; detail: string; fix: string | null } }> {
  const result = await astra(['--migrations-dir', join(fixturesDir, 'doctor-app'), '--backup-dir', join(baseDir, 'backups'), 'doctor', '--json'], {
    env: { DATABASE_URL: url },
  });
  const report = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string; fix: string | null }[] };
  return { exitCode: result.exitCode, check: report.checks.find((check) => check.id === 'connections')! };
}

describe('doctor: connections used against max_connections', () => {
  it('passes with few sessions, warns above 80 %, fails above 95 % naming how to find the holders', async () => {
    const quiet = await connectionsEntry();
    expect(quiet.check.status).toBe('ok');
    expect(quiet.check.detail).toMatch(new RegExp(`^\\d of max_connections ${MAX_CONNECTIONS} in use`));

    // 16 held + doctor's own session: 17 of 20, 85 %.
    await holdSessions(16);
    const busy = await connectionsEntry();
    expect(busy.check.status).toBe('warn');
    expect(busy.check.detail).toMatch(new RegExp(`^(1[7-9]) of max_connections ${MAX_CONNECTIONS} in use \\(\\d+%\\): close to the limit$`));
    expect(busy.check.fix).toContain('pg_stat_activity');

    // 19 held + doctor's own session: every slot taken.
    await holdSessions(MAX_CONNECTIONS - 1);
    const full = await connectionsEntry();
    expect(full.exitCode).toBe(1);
    expect(full.check.status).toBe('fail');
    expect(full.check.detail).toBe(
      `${MAX_CONNECTIONS} of max_connections ${MAX_CONNECTIONS} in use (100%): new sessions, including the upgrade's, are about to be refused`,
    );
  });
});
