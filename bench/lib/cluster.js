import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../../dist/cluster/local-cluster.js';

/**
 * Things to undo when the run ends, however it ends: run once, in reverse
 * order, each allowed to fail without stopping the others.
 */
export class Cleanup {
  #steps = [];
  #running;

  add(label, step) {
    this.#steps.push({ label, step });
  }

  run() {
    this.#running ??= (async () => {
      for (const { label, step } of this.#steps.reverse()) {
        try {
          await step();
        } catch (error) {
          process.stderr.write(`bench: could not ${label}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    })();
    return this.#running;
  }

  /** Ctrl-C or a kill: undo, then exit with the usual code of that signal. */
  onSignals() {
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal} received; stopping the cluster and removing temporary files...\n`);
        void this.run().finally(() => process.exit(code));
      });
    }
  }
}

/** A temporary folder, removed at cleanup. */
export function temporaryDir(cleanup, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A throwaway PostgreSQL cluster in a temporary folder, started on a free
 * port; stopped and removed at cleanup. Durable (fsync on), as a production
 * server is: write latencies and backups then pay what they pay there.
 */
export async function startBenchCluster(cleanup) {
  const baseDir = temporaryDir(cleanup, 'astra-bench-cluster-');
  const cluster = new LocalCluster(baseDir, { durable: true });
  cleanup.add('stop the benchmark cluster', async () => {
    await cluster.stop();
    // When the server's user cannot reach baseDir the data lives elsewhere: remove that too.
    if (relative(baseDir, cluster.dataDir).startsWith('..')) rmSync(dirname(cluster.dataDir), { recursive: true, force: true });
  });
  await cluster.init();
  await cluster.start();
  return cluster;
}

/** Runs `work` with a client on `database`, closed afterwards. */
export async function withClient(cluster, database, work) {
  const client = new pg.Client(cluster.connectionConfig(database));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(cluster, database) {
  await withClient(cluster, 'postgres', (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
}

export async function dropDatabase(cluster, database) {
  await withClient(cluster, 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)}`));
}

/**
 * The libpq environment for pg_dump and pg_restore run directly: the
 * password travels here, never in their arguments.
 */
export function libpqEnv(cluster, database) {
  const config = cluster.connectionConfig(database);
  return {
    PGHOST: config.host,
    PGPORT: String(config.port),
    PGUSER: config.user,
    PGPASSWORD: config.password,
    PGDATABASE: database,
  };
}
