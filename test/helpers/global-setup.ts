import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { LocalCluster } from '../../src/cluster/local-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { host: string; port: number; user: string; password: string; binDir: string; major: number };
  }
}

/** Starts one throwaway PostgreSQL cluster for the whole integration run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const baseDir = mkdtempSync(join(tmpdir(), 'astra-test-cluster-'));
  const cluster = new LocalCluster(baseDir, { durable: false });
  await cluster.init();
  await cluster.start();
  const state = cluster.state();
  project.provide('postgres', { host: '127.0.0.1', port: state.port, user: state.user, password: state.password, binDir: state.binDir, major: state.major });
  // Every temporary folder of the run (the tests' and the CLI's) goes under one
  // folder, removed at the end. Traversable, so that the clusters some tests
  // start there can be entered by the unprivileged user their server runs as.
  const runTmp = mkdtempSync(join(tmpdir(), 'astra-test-run-'));
  chmodSync(runTmp, 0o755);
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  return async () => {
    await cluster.stop();
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
