import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../src/cluster/local-cluster.js';
import { serverUser, type OsUser } from '../../src/cluster/os-user.js';

/** How to run a ClickHouse server: the program and the arguments before `--config-file`. */
export interface ClickhouseProgram {
  file: string;
  args: string[];
}

/**
 * The machine's ClickHouse server: `clickhouse-server` on PATH, then the
 * Debian package's /usr/sbin/clickhouse-server, then the single binary
 * /usr/bin/clickhouse of the official packages, run as `clickhouse server`.
 */
export function findClickhouseServer(): ClickhouseProgram | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'clickhouse-server'))) return { file: join(dir, 'clickhouse-server'), args: [] };
  }
  if (isExecutable('/usr/sbin/clickhouse-server')) return { file: '/usr/sbin/clickhouse-server', args: [] };
  if (isExecutable('/usr/bin/clickhouse')) return { file: '/usr/bin/clickhouse', args: ['server'] };
  return undefined;
}

/** Whether a ClickHouse server is installed, so that its tests can run. */
export function hasClickhouseServer(): boolean {
  return findClickhouseServer() !== undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A throwaway ClickHouse server for the test run: its configuration, data and
 * logs in one temporary folder, listening on 127.0.0.1 only, on free ports,
 * with the user `default` and no password. Run as an unprivileged user when
 * the tests run as root (ClickHouse wants to own its data as the user it runs as).
 *
 * The root element of the configuration is `<yandex>`: the only one the
 * 18.x servers of older distributions read, and still accepted by current
 * ClickHouse beside `<clickhouse>`. No interserver port: a lone server does
 * not replicate, and without the setting it opens none.
 */
export class ClickhouseServer {
  readonly dir: string;
  readonly url: string;
  /** What `SELECT version()` answers, such as 18.16.1. */
  version = '';
  private readonly program: ClickhouseProgram;
  private readonly runAs: OsUser | undefined;
  private readonly httpPort: number;
  private readonly tcpPort: number;
  private process: ResultPromise | undefined;
  private exited = false;

  private constructor(program: ClickhouseProgram, dir: string, httpPort: number, tcpPort: number) {
    this.program = program;
    this.dir = dir;
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    this.url = `http://127.0.0.1:${httpPort}`;
    this.runAs = serverUser();
  }

  /** Starts a server and resolves once it answers its ping and has said its version. */
  static async start(): Promise<ClickhouseServer> {
    const program = findClickhouseServer();
    if (!program) throw new Error('no ClickHouse server was found (clickhouse-server on PATH, /usr/sbin/clickhouse-server or /usr/bin/clickhouse)');
    const httpPort = await freePort();
    let tcpPort = await freePort();
    // freePort closes its socket before answering: the same port may come twice.
    while (tcpPort === httpPort) tcpPort = await freePort();
    const server = new ClickhouseServer(program, mkdtempSync(join(tmpdir(), 'astra-test-clickhouse-')), httpPort, tcpPort);
    try {
      server.writeConfig();
      await server.launch();
      server.version = (await server.query('SELECT version()')).trim();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Runs `sql` over HTTP as `default` and returns the response body; rejects with the server's message on an error. */
  async query(sql: string): Promise<string> {
    return clickhouseQuery(this.url, sql);
  }

  /** Stops the server (SIGTERM, SIGKILL when it has not exited in 30 s) and removes its folder. */
  async stop(): Promise<void> {
    const running = this.process;
    if (running && !this.exited) {
      running.kill('SIGTERM');
      // Unreferenced: the deadline must not keep the test run alive once the server has exited.
      const stopped = await Promise.race([running.then(() => true), sleep(STOP_TIMEOUT_MS, false, { ref: false })]);
      if (!stopped) {
        running.kill('SIGKILL');
        await running;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfig(): void {
    const dir = xml(this.dir);
    const config = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/server.log</log>
    <errorlog>${dir}/error.log</errorlog>
    <console>0</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${this.httpPort}</http_port>
  <tcp_port>${this.tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <user_scripts_path>${dir}/user_scripts/</user_scripts_path>
  <!-- Required by 18.x, which has no default for it; small, the test data is. -->
  <mark_cache_size>5368709</mark_cache_size>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <!--
    On SIGTERM the server waits up to shutdown_wait_unfinished (5 s) for its
    connections to close, and 18.x then hangs while one is still open: idle
    keep-alive connections of the tests' clients must close well within that.
  -->
  <keep_alive_timeout>1</keep_alive_timeout>
</yandex>
`;
    const users = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default></default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default></default>
  </quotas>
</yandex>
`;
    writeFileSync(join(this.dir, 'config.xml'), config);
    writeFileSync(join(this.dir, 'users.xml'), users);
    if (this.runAs) {
      for (const path of [this.dir, join(this.dir, 'config.xml'), join(this.dir, 'users.xml')]) chownSync(path, this.runAs.uid, this.runAs.gid);
    }
  }

  private async launch(): Promise<void> {
    const running = execa(this.program.file, [...this.program.args, `--config-file=${join(this.dir, 'config.xml')}`], {
      reject: false,
      stdin: 'ignore',
      // It says where it logs on stdout, nothing else: the logs are in the folder.
      stdout: 'ignore',
      stderr: 'pipe',
      cwd: this.dir,
      // stop() decides when to give up on SIGTERM.
      forceKillAfterDelay: false,
      ...(this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {}),
    });
    this.process = running;
    const exit = running.then((result) => {
      this.exited = true;
      return result;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.exited) {
        const result = await exit;
        throw new Error(
          `the ClickHouse server in ${this.dir} exited while starting (${result.signal ?? `code ${result.exitCode}`})${this.errorTail(result.stderr)}`,
        );
      }
      if (await this.answersPing()) return;
      if (Date.now() >= deadline) {
        throw new Error(`the ClickHouse server in ${this.dir} did not answer ${this.url}/ping within ${START_TIMEOUT_MS / 1000} s${this.errorTail()}`);
      }
      await sleep(100);
    }
  }

  private async answersPing(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/ping`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2_000) });
      return response.ok && (await response.text()).trim() === 'Ok.';
    } catch {
      return false;
    }
  }

  /** The last lines of the server's error log and of what it wrote on stderr, for a failure message. */
  private errorTail(stderr?: unknown): string {
    const log = join(this.dir, 'error.log');
    const logged = existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20).join('\n') : '';
    const written = typeof stderr === 'string' ? stderr.trimEnd().split('\n').slice(-20).join('\n') : '';
    const parts = [logged && `${log}:\n${logged}`, written && `stderr:\n${written}`].filter(Boolean);
    return parts.length > 0 ? `\n${parts.join('\n')}` : '';
  }
}

/** Runs `sql` over ClickHouse's HTTP interface at `url` (a URL with a database path selects that database). */
export async function clickhouseQuery(url: string, sql: string): Promise<string> {
  const target = new URL(url);
  const database = target.pathname.replace(/^\/+|\/+$/g, '');
  target.pathname = '/';
  if (database) target.searchParams.set('database', database);
  // No keep-alive: a connection left open delays the server's shutdown.
  const response = await fetch(target, { method: 'POST', body: sql, headers: { connection: 'close' }, signal: AbortSignal.timeout(30_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`ClickHouse at ${target.origin} refused "${sql}": ${body.trim()}`);
  return body;
}

export interface ClickhouseTestDatabase {
  name: string;
  /**
   * The server's URL with the database as its path, `http://host:port/<name>`:
   * the form @clickhouse/client takes the database in (since 1.0, a path in
   * `url` is the `database` option; a proxy path goes in `pathname` instead).
   * The client does not decode the path, so names stay within [a-z0-9_].
   */
  url: string;
}

/** A new, empty database on the ClickHouse server at `url`, for one test, named `<prefix>_<random>`. */
export async function freshClickhouseDatabase(url: string, prefix: string): Promise<ClickhouseTestDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`a database prefix is lower-case letters, digits and _, not "${prefix}"`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // A name of those characters needs no escaping inside backquotes.
  await clickhouseQuery(url, `CREATE DATABASE \`${name}\``);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return { name, url: target.toString() };
}

/** `text` with the characters XML gives a meaning escaped, for a path inside an element. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
