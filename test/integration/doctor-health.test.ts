import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astra, fixturesDir } from '../helpers/cli.js';
import { entry } from '../helpers/doctor-report.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { match } from '../helpers/matchers.js';

let db: TestDatabase;
let app: Server;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase();
  expect((await astra(['--migrations-dir', join(fixturesDir, 'doctor-app'), 'migrate', 'up'], { env: { DATABASE_URL: db.url } })).exitCode).toBe(0);
  // The application: healthy, broken, and one address that never answers.
  app = createServer((request, response) => {
    if (request.url === '/health') response.writeHead(200).end('ok');
    else if (request.url === '/broken') response.writeHead(500).end('database unreachable');
    // /hang: never answered.
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
});
afterAll(async () => {
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
  await db.drop();
});

const backupDir = mkdtempSync(join(tmpdir(), 'astra-doctor-backups-'));
const doctor = (...args: string[]) =>
  astra(['--migrations-dir', join(fixturesDir, 'doctor-app'), '--backup-dir', backupDir, 'doctor', ...args], { env: { DATABASE_URL: db.url } });

describe('health-url', () => {
  it('is not part of the report without --health-url', async () => {
    expect((await doctor()).stdout).not.toContain('Application');
  });

  it('passes when the application answers 200', async () => {
    const result = await doctor('--health-url', `${base}/health`);
    expect(result.exitCode).toBe(0);
    expect(entry(result.stdout, 'Application health')).toMatchObject({
      status: 'ok',
      detail: match.stringMatching(new RegExp(`^${base}/health answered 200 in .+$`)),
    });
  });

  it('fails when the application answers 500', async () => {
    const result = await doctor('--health-url', `${base}/broken`);
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Application health')).toMatchObject({ status: 'fail', detail: `${base}/broken answered 500 Internal Server Error, not 200` });
    expect(result.stderr).toContain('error: doctor: 1 check failed: health-url');
  });

  it('fails when the application does not answer within --health-timeout', async () => {
    const result = await doctor('--health-url', `${base}/hang`, '--health-timeout', '1s');
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Application health')).toMatchObject({ status: 'fail', detail: `${base}/hang did not answer within 1.0 s (--health-timeout)` });
  });

  it('fails a check that outlives --check-timeout, and still reports all the others', async () => {
    const result = await doctor('--health-url', `${base}/hang`, '--health-timeout', '10m', '--check-timeout', '1s');
    expect(result.exitCode).toBe(1);
    expect(entry(result.stdout, 'Application health')).toMatchObject({ status: 'fail', detail: 'timed out: no result within 1.0 s (--check-timeout)' });
    expect(entry(result.stdout, 'Migrations').status).toBe('ok');
    expect(result.stdout).toContain('10 ok, 2 warnings, 1 failure');
  });

  it('refuses a URL that is not http(s), exit 2', async () => {
    const result = await doctor('--health-url', 'ftp://127.0.0.1/health');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('error: --health-url (ftp://127.0.0.1) is not an http:// or https:// URL.');
    expect(result.stdout).toBe('');
  });
});
