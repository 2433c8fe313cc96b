import { mkdtempSync, rmSync } from 'node:fs';
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
  return async () => {
    await cluster.stop();
    rmSync(baseDir, { recursive: true, force: true });
  };
}
