import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { ClickhouseServer, hasClickhouseServer } from './clickhouse-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { host: string; port: number; user: string; password: string; binDir: string; major: number };
    /** The run's ClickHouse server, user `default` without password; null when none is installed. */
    clickhouse: { url: string; version: string } | null;
  }
}

/**
 * Starts one throwaway PostgreSQL cluster for the whole integration run, and
 * beside it one ClickHouse server when the machine has one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const baseDir = mkdtempSync(join(tmpdir(), 'astra-test-cluster-'));
  const cluster = new LocalCluster(baseDir, { durable: false });
  const [postgresStart, clickhouseStart] = await Promise.allSettled([
    cluster.init().then(() => cluster.start()),
    hasClickhouseServer() ? ClickhouseServer.start() : Promise.resolve(undefined),
  ]);
  const clickhouse = clickhouseStart.status === 'fulfilled' ? clickhouseStart.value : undefined;
  const failed = [postgresStart, clickhouseStart].find((start) => start.status === 'rejected');
  if (failed) {
    // Leave nothing running behind a failed start.
    await clickhouse?.stop();
    if (postgresStart.status === 'fulfilled') await cluster.stop();
    rmSync(baseDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const state = cluster.state();
  project.provide('postgres', { host: '127.0.0.1', port: state.port, user: state.user, password: state.password, binDir: state.binDir, major: state.major });
  project.provide('clickhouse', clickhouse ? { url: clickhouse.url, version: clickhouse.version } : null);
  // Every temporary folder of the run (the tests' and the CLI's) goes under one
  // folder, removed at the end. Traversable, so that the clusters some tests
  // start there can be entered by the unprivileged user their server runs as.
  const runTmp = mkdtempSync(join(tmpdir(), 'astra-test-run-'));
  chmodSync(runTmp, 0o755);
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  return async () => {
    await Promise.all([cluster.stop(), clickhouse?.stop()]);
    rmSync(baseDir, { recursive: true, force: true });
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    try {
      rmSync(runTmp, { recursive: true, force: true });
    } catch (error) {
      console.warn(`Could not remove ${runTmp}: ${String(error)}`);
    }
  };
}
