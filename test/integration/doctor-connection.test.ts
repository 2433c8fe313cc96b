import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { astra } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';

/** A port on the loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const DATABASE_CHECKS = [
  'Server version',
  'Privileges',
  'Connections',
  'Sessions',
  'Extensions',
  'Migrations',
  'Schema drift',
  'Invalid indexes',
  'pg_dump and pg_restore',
  'Room for a backup',
];
const FAILED_LINE =
  'error: doctor: 11 checks failed: connection, server-version, privileges, connections, sessions, extensions, migrations, schema-drift, invalid-indexes, client-tools, backup-room';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const doctor = (url: string) => astra(['--backup-dir', mkdtempSync(join(tmpdir(), 'astra-doctor-backups-')), 'doctor'], { env: { DATABASE_URL: url } });

describe('astra doctor without a working connection', () => {
  it('says the port refused the connection, and reports the checks that need it as skipped', async () => {
    const port = await closedPort();
    const result = await doctor(`postgresql://astra:secret@127.0.0.1:${port}/app`);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Connection')).toEqual({
      status: 'fail',
      detail: `Could not connect to PostgreSQL at 127.0.0.1:${port}: the connection was refused.`,
      fix: 'Check that the server is running and listening on that host and port.',
    });
    for (const title of DATABASE_CHECKS) {
      expect(entry(result.stdout, title), title).toEqual({
        status: 'fail',
        detail: 'skipped: no connection',
        fix: 'Fix the connection first (see the connection check).',
      });
    }
    // Checks that need no database still run.
    expect(entry(result.stdout, 'Backups').status).toBe('warn');
    expect(result.stdout).toContain('0 ok, 1 warning, 11 failures');
    expect(result.stderr).toContain(FAILED_LINE);
  });

  it('says the password was rejected, without printing it', async () => {
    const server = inject('postgres');
    const result = await doctor(`postgresql://${server.user}:not-the-password-42@${server.host}:${server.port}/${db.name}`);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Connection')).toMatchObject({
      status: 'fail',
      detail: `PostgreSQL at ${server.host}:${server.port} rejected the password for user "${server.user}".`,
    });
    expect(entry(result.stdout, 'Migrations').detail).toBe('skipped: no connection');
    expect(result.stdout + result.stderr).not.toContain('not-the-password-42');
    expect(result.stderr).toContain(FAILED_LINE);
  });

  it('says the host is unknown', async () => {
    const result = await doctor('postgresql://astra:secret@doctor-no-such-host.invalid:5432/app');
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Connection')).toEqual({
      status: 'fail',
      detail: 'Could not connect to PostgreSQL: the host "doctor-no-such-host.invalid" is unknown.',
      fix: 'Check the host name in the database URL or PGHOST.',
    });
  });

  it('with a working connection, reports who it connected as and the round trip', async () => {
    const result = await doctor(db.url);
    expect(entry(result.stdout, 'Connection')).toMatchObject({
      status: 'ok',
      detail: match.stringMatching(
        new RegExp(`^${inject('postgres').user}@127\\.0\\.0\\.1:\\d+/${db.name} as "${inject('postgres').user}", connected in .+, round trip .+$`),
      ),
    });
  });
});
