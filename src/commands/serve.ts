import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import { inputError, operationError } from '../errors.js';
import { watchInterrupts } from '../engine/interrupt.js';
import type { ServedDatabase } from '../serve/databases.js';
import { createLog, type Log } from '../ui/log.js';
import type { Context, ProjectMember, ProjectRun, Wrap } from './context.js';

interface ServeFlags {
  host: string;
  port: string;
  secretFile?: string;
  doctorInterval: string;
  pgBinDir?: string;
}

/** The trigger's secret: ASTRA_SERVICE_SECRET or --secret-file (one of them), at least `minLength` characters; never printed. */
export function readServiceSecret(file: string | undefined, log: Log, minLength: number): string | undefined {
  const fromEnvironment = process.env.ASTRA_SERVICE_SECRET;
  // Read once and dropped: pg_dump and the other children astra starts inherit its environment.
  delete process.env.ASTRA_SERVICE_SECRET;
  if (file !== undefined && fromEnvironment !== undefined) {
    throw inputError('Both ASTRA_SERVICE_SECRET and --secret-file give a secret.', 'Give it one way: unset ASTRA_SERVICE_SECRET or leave out --secret-file.');
  }
  let secret = fromEnvironment;
  let source = 'ASTRA_SERVICE_SECRET';
  if (file !== undefined) {
    source = `--secret-file ${file}`;
    try {
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if ((statSync(file).mode & 0o077) !== 0) log.warn(`${file} can be read by other users than its owner; chmod 600 it.`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw inputError(
        `${source}: ${code === 'ENOENT' ? 'there is no such file' : `it cannot be read (${code ?? 'error'})`}.`,
        'Give the path of a file holding the secret.',
      );
    }
  }
  if (secret !== undefined && secret.length < minLength) {
    throw inputError(
      `The service secret of ${source} is ${secret.length === 0 ? 'empty' : `${secret.length} characters long`}; astra serve needs at least ${minLength}.`,
      'Generate one, e.g. with: openssl rand -hex 32',
    );
  }
  return secret;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 65_535)
    throw inputError(`--port ${text} is not a port number.`, 'Give a number from 1 to 65535 (0: any free port).');
  return Number(text);
}

/** The databases a server without a project file serves: the one of --database-url, DATABASE_URL or the PG* variables. */
async function flagDatabase(context: Context): Promise<ServedDatabase> {
  const [{ resolveConnection }, { DEFAULT_DATABASE_NAME }] = await Promise.all([import('../db/connection.js'), import('../serve/databases.js')]);
  // Checked now (a bad URL, or none) without connecting: the database may come up after the server.
  await resolveConnection({ databaseUrl: context.databaseUrl, log: context.log, embedded: false }).catch((error: unknown) => {
    // A URL that was given and is wrong says so itself.
    if (context.databaseUrl !== undefined || process.env.DATABASE_URL) throw error;
    throw inputError(
      'astra serve needs a database: --database-url, DATABASE_URL or the PG* variables (it does not start a local cluster).',
      'Set DATABASE_URL, or serve a project file.',
    );
  });
  return {
    name: DEFAULT_DATABASE_NAME,
    required: true,
    options: {
      ...(context.databaseUrl !== undefined ? { connectionString: context.databaseUrl } : {}),
      migrationsDir: context.migrationsDir,
      releaseNotesDir: context.releaseNotesDir,
      backupDir: context.backupDir,
    },
  };
}

/**
 * Runs the server until SIGTERM or Ctrl-C: then it stops accepting requests,
 * lets a running migration finish (the run stops after it), closes and ends
 * with exit 0.
 */
async function serve(context: Context, served: ServedDatabase[], projectFile: string | undefined, flags: ServeFlags, loggers: (name: string) => Log) {
  const port = parsePort(flags.port);
  const doctorIntervalMs = parseDuration(flags.doctorInterval, '--doctor-interval');
  const { isLoopback, MIN_SECRET_LENGTH } = await import('../serve/auth.js');
  const secret = readServiceSecret(flags.secretFile, context.log, MIN_SECRET_LENGTH);
  if (secret === undefined && !isLoopback(flags.host)) {
    throw inputError(
      `astra serve will not listen on ${flags.host} without a secret: the status of the databases would be open to anyone who reaches that address.`,
      'Set ASTRA_SERVICE_SECRET or pass --secret-file, or listen on 127.0.0.1.',
    );
  }
  const watch = watchInterrupts(context.signal, (line) => context.log.info(line), {
    announce: (signal) => `${signal}: astra serve takes no new requests; a running migration finishes first.`,
  });
  try {
    const { startServer } = await import('../serve/server.js');
    const pgBinDir = flags.pgBinDir ?? process.env.ASTRA_PG_BIN_DIR;
    const server = await startServer({
      host: flags.host,
      port,
      databases: served,
      projectFile,
      secret,
      log: context.log,
      engineLogger: loggers,
      signal: watch.signal,
      doctorIntervalMs,
      pgBinDir,
    }).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw operationError(`Port ${port} of ${flags.host} is in use.`, 'Choose another with --port.', error);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        throw inputError(`--host ${flags.host} is not an address of this machine.`, 'Give one of its addresses, e.g. 127.0.0.1 or 0.0.0.0.');
      throw error;
    });
    const names = served.map((database) => database.name).join(', ');
    context.log.info(
      `astra serve is listening on ${server.url} for ${names}; ${secret === undefined ? 'no secret: /api/db/plan and POST /api/db/migrate are not mounted' : 'the plan and the migrate trigger need the secret'}.`,
    );
    // A signal during start-up has already aborted it: stop at once.
    if (!watch.signal.aborted) await once(watch.signal, 'abort');
    await server.close();
    context.log.info('astra serve stopped.');
    return { url: server.url, stoppedBy: watch.received() ?? null };
  } finally {
    watch.stop();
  }
}

async function serveProject(selected: ProjectMember[], project: ProjectRun, flags: ServeFlags) {
  // The probes, metrics and trigger serve the PostgreSQL databases; a ClickHouse one is migrated with astra upgrade or migrate up.
  for (const member of selected.filter((one) => one.context.clickhouse))
    member.context.log.info('Passed over: astra serve works on the PostgreSQL databases of a project.');
  const members = selected.filter((member) => !member.context.clickhouse);
  if (members.length === 0) throw inputError(`No database of ${project.file} can be served: none has its URL set.`, 'Set the URL of the databases to serve.');
  const { loadProject } = await import('../project/load.js');
  const declared = loadProject(project.file).databases;
  const served = members.map((member): ServedDatabase => ({
    name: member.name,
    required: declared.find((database) => database.name === member.name)?.required !== false,
    options: { project: project.file, database: member.name, backupDir: project.backupRoot },
  }));
  const logs = new Map(members.map((member) => [member.name, member.context.log]));
  const log = createLog({ debug: members[0]!.context.debug });
  const context = { ...members[0]!.context, log };
  return serve(context, served, project.file, flags, (name) => logs.get(name) ?? log);
}

/** `astra serve`. */
export function registerServe(program: Command, run: Wrap): void {
  program
    .command('serve')
    .description('HTTP: liveness and readiness probes, status, Prometheus metrics, and a migrate trigger that needs the service secret')
    .option('--host <host>', 'the address to listen on (another than loopback needs a secret)', '127.0.0.1')
    .option('--port <port>', 'the port (0: any free one)', '8080')
    .option('--secret-file <file>', 'a file holding the secret of the trigger and the plan (else ASTRA_SERVICE_SECRET)')
    .option('--doctor-interval <duration>', 'how often /metrics runs doctor again', '5m')
    .option('--pg-bin-dir <dir>', "folder of pg_dump and pg_restore, for doctor's checks")
    .action(
      run(
        async (context, flags) => serve(context, [await flagDatabase(context)], undefined, flags as ServeFlags, () => context.log),
        (members, project, flags) => serveProject(members, project, flags as ServeFlags),
      ),
    );
}
