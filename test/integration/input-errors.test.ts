import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { astra, fixturesDir, folderOf } from '../helpers/cli.js';
import { admin, createTestDatabase, tableNames, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../../src/cluster/local-cluster.js';
import { match } from '../helpers/matchers.js';
import { waitUntil } from '../helpers/wait.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const folder = (files: Record<string, string>) => folderOf(files, 'astra-input-');

const ok = 'CREATE TABLE ok_table (id int);\n';

describe('bad input: exit 2, one clear sentence, nothing applied', () => {
  it.each([
    ['an unparseable file name', { '001-ok.sql': ok, 'add_users.sql': ok }, 'add_users.sql: the name follows no migration naming scheme'],
    ['two files with one version', { '001-ok.sql': ok, '001-other.sql': ok }, '001-ok.sql and 001-other.sql both have version 1'],
    ['a lone .down.sql', { '000001_ok.up.sql': ok, '000002_gone.down.sql': 'SELECT 1;' }, '000002_gone.down.sql: a down migration without its up migration'],
    [
      'SQL that does not parse',
      { '001-ok.sql': ok, '002-bad.sql': 'CREATE TABLE fine (id int);\nCREATE TABEL broken (id int);\n' },
      '002-bad.sql, line 2: the SQL does not parse: syntax error at or near "TABEL"',
    ],
    [
      'transaction control inside a migration',
      { '001-ok.sql': ok, '002-txn.sql': 'CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n' },
      '002-txn.sql, line 2: "COMMIT" controls the transaction',
    ],
  ])('%s', async (_, files, message) => {
    const result = await astra(['--migrations-dir', folder(files), 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await tableNames(db)).toEqual([]);
  });

  it.each([
    [['migrate', 'up', '--to', '7'], '--to 7: no migration has version 7'],
    [['migrate', 'up', '--to', 'latest'], '--to "latest" is not a migration version'],
    [['migrate', 'up', '--lock-timeout', 'soon'], '--lock-timeout "soon" is not a duration'],
    [['migrate', 'goto', '99'], 'goto 99: no migration has version 99'],
    [['migrate', 'force', '5'], 'force 5: no migration has version 5'],
    [['migrate', 'frobnicate'], "unknown command 'frobnicate'"],
  ])('astra %j', async (args, message) => {
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), ...args], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await tableNames(db)).toEqual([]);
  });

  it.each([['upgrade', '--yes'], ['lint']])('a migrations folder given without its release notes: astra %j says so in one sentence', async (...args) => {
    const migrations = join(fixturesDir, 'naming-dash');
    const result = await astra(['--migrations-dir', migrations, ...args], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`name none of the migrations in ${migrations}: they describe another application's migrations.`);
    expect(result.stderr).toContain('--release-notes-dir');
    expect(result.stderr.split('\n').filter((line) => line.trim()).length).toBeLessThanOrEqual(2);
    expect(await tableNames(db)).toEqual([]);
  });

  it('a usage error with --json still prints one JSON object', async () => {
    const result = await astra(['status', '--json', '--bogus'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { message: "unknown option '--bogus'", exitCode: 2 } });
  });

  it('migrate create into a folder that does not exist', async () => {
    const result = await astra(['--migrations-dir', '/nonexistent/typo', 'migrate', 'create', 'x']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('The migrations folder /nonexistent/typo does not exist.');
  });

  it('a migrations folder that does not exist', async () => {
    const result = await astra(['--migrations-dir', '/nonexistent/migrations', 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('The migrations folder /nonexistent/migrations cannot be read');
  });

  it('a database URL that is not one', async () => {
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'status'], { env: { DATABASE_URL: 'mysql://x@y/z' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('The database URL must start with postgresql://');
  });

  it('--json puts the error on stdout as an object', async () => {
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'migrate', 'up', '--to', '9', '--json'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: { message: '--to 9: no migration has version 9.', fix: match.any(String), exitCode: 2 } });
  });
});

describe('connection failures: exit 1 with the cause named', () => {
  it('a refused port', async () => {
    const port = await freePort();
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'status'], {
      env: { DATABASE_URL: `postgresql://astra:x@127.0.0.1:${port}/astra` },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Could not connect to PostgreSQL at 127.0.0.1:${port}: the connection was refused.`);
  });

  it('a wrong password, which is never printed', async () => {
    const server = inject('postgres');
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'status'], {
      env: { DATABASE_URL: `postgresql://${server.user}:not-the-password@127.0.0.1:${server.port}/${db.name}` },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`rejected the password for user "${server.user}"`);
    expect(result.stderr + result.stdout).not.toContain('not-the-password');
  });

  it("sslmode=require on a server without TLS: the server's answer alone, no driver warning before it", async () => {
    const result = await astra(['--migrations-dir', join(fixturesDir, 'naming-dash'), 'status'], { env: { DATABASE_URL: `${db.url}?sslmode=require` } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toContain('WARNING');
    expect(result.stderr.trimStart()).toMatch(/^error: Could not connect to PostgreSQL at .*: The server does not support SSL connections\./);
  });
});

describe('bad input while the connection is still opening', () => {
  /**
   * migrate up and status connect while they read the files. A server that
   * accepts the connection and never answers: the file's error is the one
   * reported, and the attempt is dropped with it, so the command ends at
   * once instead of keeping the process up until astra's 15 s connection
   * timeout (the bound below is that timeout: a check for a hang, not a
   * speed figure).
   */
  it.each([['migrate', 'up'], ['status']])('astra %s: the file error, exit 2, the silent server left at once', async (...command) => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // Enough files that reading them takes a while, the last one not UTF-8: the error comes while the connection is under way.
      const files: Record<string, string> = {};
      for (let i = 1; i < 400; i++) files[`${String(i).padStart(3, '0')}-t${i}.sql`] = `CREATE TABLE t${i} (id int);\n`;
      const dir = folder(files);
      writeFileSync(join(dir, '400-latin1.sql'), Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0x0a]));
      const started = Date.now();
      const result = await astra(['--migrations-dir', dir, ...command], { env: { DATABASE_URL: `postgresql://astra:x@127.0.0.1:${port}/astra` } });
      const tookMs = Date.now() - started;
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain('400-latin1.sql is not valid UTF-8');
      expect(result.stderr).not.toContain('Could not connect');
      await waitUntil('the connection reached the server', () => sockets.length === 1);
      expect(tookMs).toBeLessThan(15_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([['migrate', 'up'], ['status']])(
    'astra %s with a bad file and a bad URL: the file is reported first, as without a connection ahead',
    async (...command) => {
      const dir = folder({ '001-a.sql': 'CREATE TABLE a (id int);\n' });
      writeFileSync(join(dir, '002-latin1.sql'), Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0x0a]));
      const result = await astra(['--migrations-dir', dir, ...command], { env: { DATABASE_URL: 'postgresql://astra@127.0.0.1:99999/astra' } });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain('002-latin1.sql is not valid UTF-8');
    },
  );
});

describe('a database left refusing connections by a rollback stopped during its swap', () => {
  /**
   * Runs `work` with the database in the state a rollback killed between
   * refusing connections and its swap leaves: refused, its restored copy
   * beside it. Connections are allowed again and the copy dropped after.
   */
  async function whileLeftBySwap(work: () => Promise<void>): Promise<void> {
    const copy = `${db.name}__restore_20260101000000`;
    await admin(async (client) => {
      await client.query(`CREATE DATABASE ${copy}`);
      await client.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    });
    try {
      await work();
    } finally {
      await admin(async (client) => {
        await client.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
        await client.query(`DROP DATABASE ${copy}`);
      });
    }
  }
  const allowsConnections = async () =>
    admin(
      async (client) =>
        (await client.query<{ allowed: boolean }>('SELECT datallowconn AS allowed FROM pg_database WHERE datname = $1', [db.name])).rows[0]?.allowed,
    );

  it('astra migrate up with a bad file: exit 2, and the database is left as it was (bad input changes nothing)', async () => {
    await whileLeftBySwap(async () => {
      const dir = folder({ '001-ok.sql': ok, '002-bad.sql': 'CREATE TABEL broken (id int);\n' });
      const result = await astra(['--migrations-dir', dir, 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain('002-bad.sql, line 1: the SQL does not parse');
      expect(await allowsConnections()).toBe(false);
    });
  });

  it('astra doctor reports it, exit 1, and leaves it as it is (a health check changes nothing)', async () => {
    await whileLeftBySwap(async () => {
      const result = await astra(['--migrations-dir', folder({ '001-ok.sql': ok }), 'doctor', '--json'], { env: { DATABASE_URL: db.url } });
      expect(result.exitCode, result.stderr).toBe(1);
      const report = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string; fix: string | null }[] };
      const connection = report.checks.find((check) => check.id === 'connection');
      expect(connection).toMatchObject({ status: 'fail', detail: match.stringContaining(`refuses new connections to the database "${db.name}"`) });
      expect(connection?.fix).toContain('astra status, migrate or rollback opens it again');
      expect(await allowsConnections()).toBe(false);
    });
  });

  it('astra migrate up with good files opens it again, says so, and applies them', async () => {
    await whileLeftBySwap(async () => {
      const result = await astra(['--migrations-dir', folder({ '001-ok.sql': ok }), 'migrate', 'up'], { env: { DATABASE_URL: db.url } });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain('still refused new connections, as an astra rollback stopped during its swap left it: they are allowed again');
      expect(await allowsConnections()).toBe(true);
      expect(await tableNames(db)).toContain('ok_table');
    });
  }, 60_000);
});
