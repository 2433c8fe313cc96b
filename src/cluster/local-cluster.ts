import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';

import { execa } from 'execa';
import type pg from 'pg';
import { Database } from '../db/database.js';
import { findPgBinDir, type PgBinDir } from './binaries.js';
import { serverUser, type OsUser } from './os-user.js';
import { quoteIdent } from '../db/quote.js';

/**
 * A PostgreSQL cluster that astra owns: created with initdb in `baseDir`,
 * started and stopped with pg_ctl, listening on 127.0.0.1 only, on a free port.
 * Used by the test suite and as the embedded default database.
 *
 * Layout of `baseDir`:
 *   cluster.json   port, superuser name and password, program folder (mode 0600)
 *   data/          the data directory (owned by the server's user)
 *   data/server.log
 */
export interface ClusterState {
  /** Where the data directory is: `<baseDir>/data`, or elsewhere when the server's user cannot reach that. */
  dataDir: string;
  port: number;
  user: string;
  password: string;
  binDir: string;
  major: number;
}

export interface LocalClusterOptions {
  /** Skip fsync: for throwaway test clusters only. */
  durable?: boolean;
  /** Folder with initdb, pg_ctl and postgres; found on the machine when not given. */
  binDir?: string;
}

export class LocalCluster {
  readonly baseDir: string;
  dataDir: string;
  private readonly stateFile: string;
  private readonly durable: boolean;
  private readonly explicitBinDir: string | undefined;
  private readonly runAs: OsUser | undefined;

  constructor(baseDir: string, options: LocalClusterOptions = {}) {
    this.baseDir = resolve(baseDir);
    this.dataDir = join(this.baseDir, 'data');
    this.stateFile = join(this.baseDir, 'cluster.json');
    this.durable = options.durable ?? true;
    this.explicitBinDir = options.binDir;
    this.runAs = serverUser();
    if (existsSync(this.stateFile)) this.dataDir = this.state().dataDir ?? this.dataDir;
  }

  get exists(): boolean {
    if (!existsSync(this.stateFile)) return false;
    // Another run may have just created it, with its data elsewhere.
    this.dataDir = this.state().dataDir ?? this.dataDir;
    return existsSync(join(this.dataDir, 'PG_VERSION'));
  }

  state(): ClusterState {
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as ClusterState;
  }

  /** Connection settings for the superuser; `database` defaults to "postgres". */
  connectionConfig(database = 'postgres'): pg.ClientConfig {
    const state = this.state();
    return { host: '127.0.0.1', port: state.port, user: state.user, password: state.password, database };
  }

  /** A URL for `database`. It holds the password: never print it. */
  connectionUrl(database = 'postgres'): string {
    const state = this.state();
    return `postgresql://${encodeURIComponent(state.user)}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${encodeURIComponent(database)}`;
  }

  /** Creates the cluster with initdb. Does nothing when it already exists. */
  async init(): Promise<void> {
    if (this.exists) return;
    const bin = await this.binaries();
    mkdirSync(this.baseDir, { recursive: true, mode: 0o711 });
    // Two runs starting at once on first use: one creates, the other waits for it.
    const lock = join(this.baseDir, '.init.lock');
    let lockFd: number;
    try {
      lockFd = openSync(lock, 'wx', 0o600);
    } catch {
      await this.waitForOtherInit(lock);
      return;
    }
    try {
      await this.initLocked(bin);
    } finally {
      closeSync(lockFd);
      rmSync(lock, { force: true });
    }
  }

  private async waitForOtherInit(lock: string): Promise<void> {
    for (let waited = 0; waited < 120_000; waited += 250) {
      if (this.exists) return;
      if (!existsSync(lock)) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
    if (!this.exists)
      throw new Error(`another astra run is creating the cluster in ${this.baseDir} and has not finished; remove ${lock} if no astra is running`);
  }

  private async initLocked(bin: PgBinDir): Promise<void> {
    if (existsSync(this.stateFile)) this.dataDir = this.state().dataDir ?? this.dataDir;
    if (this.exists) return;
    // The server's user must be able to reach its data directory.
    chmodSync(this.baseDir, 0o711);
    if (this.runAs && !canTraverse(this.baseDir, this.runAs)) {
      // Run as root in a folder the server's user cannot enter (under /root,
      // say): keep the data where it can, named after this folder.
      const fallback = join('/var/lib/astra', `${basename(this.baseDir)}-${createHash('sha256').update(this.baseDir).digest('hex').slice(0, 12)}`);
      mkdirSync(fallback, { recursive: true, mode: 0o711 });
      chmodSync(fallback, 0o711);
      this.dataDir = join(fallback, 'data');
    }
    // Never wipe a cluster: data without its cluster.json is a problem for a person to look at.
    if (existsSync(join(this.dataDir, 'PG_VERSION'))) {
      throw new Error(
        `${this.dataDir} holds a PostgreSQL cluster but ${this.stateFile} is missing; astra will not overwrite it. Move the folder away to start afresh`,
      );
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { mode: 0o700 });
    this.giveToServerUser(this.dataDir);

    const password = randomBytes(18).toString('base64url');
    const user = 'astra';
    const pwfile = join(dirname(this.dataDir), `.pwfile-${process.pid}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    this.giveToServerUser(pwfile);
    try {
      const args = [
        '-D',
        this.dataDir,
        '-U',
        user,
        `--pwfile=${pwfile}`,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ];
      if (!this.durable) args.push('--no-sync');
      await this.runServerTool(join(bin.dir, 'initdb'), args);
    } finally {
      rmSync(pwfile, { force: true });
    }
    const settings = [
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      ...(this.durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
    ];
    appendFileSync(join(this.dataDir, 'postgresql.conf'), `\n# astra\n${settings.join('\n')}\n`);
    const state: ClusterState = { dataDir: this.dataDir, port: await freePort(), user, password, binDir: bin.dir, major: bin.major };
    this.writeState(state);
  }

  /** Writes cluster.json whole or not at all. */
  private writeState(state: ClusterState): void {
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(temporary, this.stateFile);
  }

  /** Whether the server is running, by pg_ctl status. */
  async isRunning(): Promise<boolean> {
    if (!this.exists) return false;
    const { exitCode } = await this.runServerTool(join(this.state().binDir, 'pg_ctl'), ['status', '-D', this.dataDir], { reject: false });
    return exitCode === 0;
  }

  /** Starts the server when it is stopped and waits until it accepts connections. */
  async start(): Promise<void> {
    if (await this.isRunning()) {
      // Running may mean just started by another run on first use: its
      // server has written postmaster.pid but may not listen yet. Started is
      // when it accepts connections.
      if (await this.acceptsConnectionsWithin(60_000)) return;
      throw new Error(`the cluster in ${this.dataDir} is running but has not accepted connections for 60 s; see ${join(this.dataDir, 'server.log')}`);
    }
    const state = this.state();
    // The port chosen last time may have been taken since: pick another then.
    // Taken by this cluster's own server, started by another run a moment
    // ago (its postmaster.pid is written before it listens), it is not. A new
    // port is written down only once this run's server listens on it: a run
    // that loses the race to start the server leaves no port of its own.
    let port = state.port;
    if (!(await portIsFree(port))) {
      if ((await this.isRunning()) && (await this.acceptsConnectionsWithin(60_000))) return;
      port = await freePort();
    }
    const logFile = join(this.dataDir, 'server.log');
    const result = await this.runServerTool(join(state.binDir, 'pg_ctl'), ['start', '-D', this.dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port}`], {
      reject: false,
    });
    if (result.exitCode !== 0) {
      // Two runs starting at once on first use: the other one's pg_ctl won
      // (this one found its postmaster.pid). Its server is coming up; wait
      // for it to accept connections rather than fail. It listens on the port
      // its postmaster.pid names: this run may have taken that port for busy
      // (the other server had it) and chosen another, which nothing serves.
      if (await this.isRunning()) {
        const listening = this.runningPort();
        if (listening !== undefined && listening !== this.state().port) this.writeState({ ...this.state(), port: listening });
        if (await this.acceptsConnectionsWithin(60_000)) return;
      }
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`pg_ctl could not start the cluster in ${this.dataDir}: ${result.stderr || result.stdout}\n${tail}`);
    }
    if (port !== state.port) this.writeState({ ...state, port });
  }

  /** The port the running server listens on: the fourth line of its postmaster.pid. */
  private runningPort(): number | undefined {
    try {
      const port = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
      return Number.isInteger(port) && port > 0 ? port : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether the server accepts a connection before `ms` have passed, trying every 200 ms. */
  private async acceptsConnectionsWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    const config = this.connectionConfig('postgres');
    for (;;) {
      try {
        const db = await Database.connect({ source: 'embedded', config, label: `${config.user}@127.0.0.1:${config.port}/postgres` });
        await db.close();
        return true;
      } catch {
        if (Date.now() >= deadline) return false;
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      }
    }
  }

  async stop(): Promise<void> {
    if (!(await this.isRunning())) return;
    await this.runServerTool(join(this.state().binDir, 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60']);
  }

  /** Creates `database` when it does not exist. */
  async ensureDatabase(database: string): Promise<void> {
    const config = this.connectionConfig('postgres');
    const db = await Database.connect({ source: 'embedded', config, label: `${config.user}@127.0.0.1:${config.port}/postgres` });
    try {
      const { rowCount } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) {
        // Another run starting at the same moment may create it first: its
        // CREATE DATABASE then wins and this one's fails on the name.
        await db.query(`CREATE DATABASE ${quoteIdent(database)}`).catch((error: unknown) => {
          if (!createdMeanwhile(error)) throw error;
        });
      }
    } finally {
      await db.close();
    }
  }

  private async binaries(): Promise<PgBinDir> {
    const found = await findPgBinDir(['postgres', 'initdb', 'pg_ctl'], this.explicitBinDir);
    if (!found) {
      throw new Error(
        this.explicitBinDir
          ? `no PostgreSQL server programs (initdb, pg_ctl, postgres) were found in ${this.explicitBinDir}, the folder given for them`
          : 'no PostgreSQL server programs (initdb, pg_ctl, postgres) were found on PATH, by pg_config --bindir or under /usr/lib/postgresql/<N>/bin; install the server, e.g. apt-get install postgresql',
      );
    }
    return found;
  }

  private giveToServerUser(path: string): void {
    if (this.runAs) chownSync(path, this.runAs.uid, this.runAs.gid);
  }

  private runServerTool(file: string, args: string[], options: { reject?: boolean } = {}) {
    return execa(file, args, {
      reject: options.reject ?? true,
      stdin: 'ignore',
      // pg_ctl's server inherits these pipes unless they are closed: keep them
      // off so that the launching process is free to exit.
      stdout: 'pipe',
      stderr: 'pipe',
      cwd: dirname(this.dataDir),
      ...(this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {}),
      env: { LC_ALL: 'C', PGPASSWORD: undefined, PGDATA: undefined },
    });
  }
}

/** Whether `user` may enter `dir` and every folder above it. */
function canTraverse(dir: string, user: OsUser): boolean {
  for (let current = dir; ; current = dirname(current)) {
    const { mode, uid, gid } = statSync(current);
    const allowed = uid === user.uid ? mode & 0o100 : gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!allowed) return false;
    if (dirname(current) === current) return true;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/** Whether a CREATE DATABASE failed because the database came into being meanwhile (42P04, or 23505 on pg_database's name index). */
function createdMeanwhile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P04' || code === '23505';
}
