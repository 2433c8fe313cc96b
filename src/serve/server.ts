import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { plan, status, type Logger, type UpgradeReport } from '../index.js';
import { commonTarget } from '../project/upgrade.js';
import { createSecretCheck, SECRET_HEADER } from './auth.js';
import type { ServedDatabase } from './databases.js';
import { createMetrics } from './metrics.js';
import { readiness } from './readiness.js';
import { errorBody, failureEntry, type Reply } from './replies.js';
import { createTrigger } from './trigger.js';

export interface ServeSettings {
  host: string;
  port: number;
  databases: ServedDatabase[];
  /** The project file the databases come from; undefined for the one database of the flags. */
  projectFile: string | undefined;
  /** Without one, the trigger and the plan are not mounted. */
  secret: string | undefined;
  /** Request lines (debug: the probes and metrics) and the engine's progress. */
  log: Logger & { info(message: string): void; debug(message: string): void };
  /** A logger for one database's engine calls (its lines tagged with its name). */
  engineLogger(name: string): Logger;
  /** Aborted on shutdown: a running migration finishes, the run stops after it. */
  signal: AbortSignal;
  doctorIntervalMs: number;
  pgBinDir?: string | undefined;
  /** Failed secrets allowed per address and minute before 429 (default 5). */
  failuresPerMinute?: number;
}

export interface RunningServer {
  /** Where it listens, as http://host:port. */
  url: string;
  /** Stops accepting, lets running requests finish, closes. */
  close(): Promise<void>;
}

/** Requests are small: nothing the server takes has a body worth more than this. */
const BODY_LIMIT_BYTES = 1024;

/** Routes whose lines are debug-only: probes and scrapes come every few seconds. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * `astra serve`: probes, status, metrics, and (with a secret) the plan and
 * the migrate trigger, over the library. The only inputs a request can give
 * are the route, `?db=` naming a served database, and the secret header.
 */
export async function startServer(settings: ServeSettings): Promise<RunningServer> {
  const { databases, projectFile, log } = settings;
  if (projectFile === undefined && databases.length !== 1) throw new Error('astra serve without a project file serves exactly one database');
  const withLogger = (served: ServedDatabase): ServedDatabase => ({ ...served, options: { ...served.options, logger: settings.engineLogger(served.name) } });
  const served = databases.map(withLogger);
  const metrics = createMetrics({ databases, doctorIntervalMs: settings.doctorIntervalMs, pgBinDir: settings.pgBinDir });
  const trigger = createTrigger({ projectFile, metrics, signal: settings.signal });
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true, forceCloseConnections: 'idle' });

  const send = (reply: FastifyReply, answer: Reply) => reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);

  /** The databases a request names with ?db= (all when it names none); undefined when it names one that is not served. */
  const select = (request: FastifyRequest): ServedDatabase[] | undefined => {
    const wanted = (request.query as Record<string, unknown>).db;
    if (wanted === undefined) return served;
    const names = Array.isArray(wanted) ? wanted : [wanted];
    const chosen = served.filter((database) => names.includes(database.name));
    return chosen.length === new Set(names).size ? chosen : undefined;
  };
  const unknownDatabase = (): Reply => ({
    status: 404,
    body: {
      ok: false,
      error: { message: `No served database has that name; served: ${served.map((database) => database.name).join(', ')}.`, fix: null, exitCode: 2 },
    },
  });

  app.setNotFoundHandler((_request, reply) => send(reply, { status: 404, body: { ok: false, error: { message: 'Not found.', fix: null, exitCode: 2 } } }));
  // Never the request's own words back: a header or a query may hold what must not be echoed.
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const code = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const message =
      code === 429
        ? 'Too many refused requests from this address; try again later.'
        : code === 413
          ? `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`
          : code < 500
            ? 'Bad request.'
            : 'Internal error.';
    if (code === 429) metrics.recordRejected('rate_limited');
    if (code >= 500) log.info(`error: ${errorBody(error).message}`);
    return send(reply, { status: code, body: { ok: false, error: { message, fix: null, exitCode: code < 500 ? 2 : 1 } } });
  });
  // Once shutting down, a reply ends its connection: a client's idle keep-alive must not hold the exit.
  let closing = false;
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(no route)';
    const line = `${request.method} ${route} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms`;
    if (QUIET_ROUTES.has(route)) log.debug(line);
    else log.info(line);
  });

  app.get('/healthz', async (_request, reply) => send(reply, { status: 200, body: { ok: true } }));
  // Probes and scrapes that arrive while one is reading the databases share its reading: a flood of them costs one.
  const ready = sharedInFlight((chosen: ServedDatabase[]) => readiness(chosen, (line) => log.info(line)));
  const scrape = sharedInFlight(() => metrics.scrape());
  app.get('/readyz', async (request, reply) => {
    const chosen = select(request);
    return send(reply, chosen ? await ready(chosen) : unknownDatabase());
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await scrape();
    return reply.code(200).header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
  const statusRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    const chosen = select(request);
    return send(reply, chosen ? await statusReply(chosen, projectFile) : unknownDatabase());
  };

  if (settings.secret === undefined) {
    // Listening on loopback only (serve refuses otherwise): the status is for whoever is on this machine.
    app.get('/api/db/status', statusRoute);
  } else {
    const matches = createSecretCheck(settings.secret);
    const authorized = (request: FastifyRequest) => matches(request.headers[SECRET_HEADER]);
    await app.register(rateLimit, { global: false });
    const guard = {
      config: {
        // Only refused requests count: a caller with the secret is never slowed down.
        rateLimit: { max: settings.failuresPerMinute ?? 5, timeWindow: 60_000, allowList: (request: FastifyRequest) => authorized(request) },
      },
      preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
        if (authorized(request)) return;
        metrics.recordRejected('unauthorized');
        return send(reply, { status: 401, body: { ok: false, error: { message: 'Unauthorized.', fix: null, exitCode: 2 } } });
      },
    };
    // The status names the database's user, host and files, and migration errors: the secret's, too.
    app.get('/api/db/status', guard, statusRoute);
    app.get('/api/db/plan', guard, async (request, reply) => {
      const chosen = select(request);
      return send(reply, chosen ? await planReply(chosen, projectFile, settings.signal) : unknownDatabase());
    });
    app.post('/api/db/migrate', guard, async (request, reply) => {
      const chosen = select(request);
      return send(reply, chosen ? await trigger(chosen) : unknownDatabase());
    });
  }

  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${port}`,
    close: () => {
      closing = true;
      return app.close();
    },
  };
}

/**
 * Wraps a reading so that calls arriving while one runs (with the same
 * argument, by the databases' names) get its result instead of starting another.
 */
function sharedInFlight<A extends unknown[], T>(read: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  return (...args) => {
    const key = JSON.stringify(args.map((arg) => (Array.isArray(arg) ? arg.map((served: ServedDatabase) => served.name) : arg)));
    const found = running.get(key);
    if (found) return found;
    const reading = read(...args).finally(() => running.delete(key));
    running.set(key, reading);
    return reading;
  };
}

/** `GET /api/db/status`: what `astra status --json` prints, grouped by database for a project. */
async function statusReply(chosen: ServedDatabase[], projectFile: string | undefined): Promise<Reply> {
  if (projectFile === undefined) {
    try {
      return { status: 200, body: { ok: true, ...(await status(chosen[0]!.options)) } };
    } catch (error) {
      return { status: 500, body: { ok: false, error: errorBody(error) } };
    }
  }
  const databases: Record<string, object> = {};
  let ok = true;
  for (const database of chosen) {
    try {
      databases[database.name] = { ok: true, ...(await status(database.options)) };
    } catch (error) {
      ok = false;
      databases[database.name] = failureEntry(error);
    }
  }
  return { status: ok ? 200 : 500, body: { project: projectFile, ok, databases } };
}

/** `GET /api/db/plan`: what `astra upgrade --dry-run --json` prints. */
async function planReply(chosen: ServedDatabase[], projectFile: string | undefined, signal: AbortSignal): Promise<Reply> {
  const reports: UpgradeReport[] = [];
  for (const database of chosen) {
    try {
      reports.push(await plan({ ...database.options, signal }));
    } catch (error) {
      const name = projectFile === undefined ? {} : { project: projectFile, database: database.name };
      return { status: 500, body: { ...name, ok: false, error: errorBody(error) } };
    }
  }
  if (projectFile === undefined) return { status: 200, body: { ok: true, ...reports[0]! } };
  const databases = Object.fromEntries(chosen.map((database, index) => [database.name, reports[index]!]));
  return { status: 200, body: { project: projectFile, ok: true, to: commonTarget(reports), dryRun: true, databases, backupSet: null } };
}
