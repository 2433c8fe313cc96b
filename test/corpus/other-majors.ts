import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { SERVER_VERSIONS, serverBinDir, serverPackagesFit } from '../helpers/server-binaries.js';
import type { CorpusServer } from './suite.js';

/** Why the other majors cannot be measured here, or undefined when they can. */
export function otherMajorsUnavailable(): string | undefined {
  return serverPackagesFit ? undefined : `the other majors' server programs are packaged for linux-x64 only; this is ${process.platform}-${process.arch}`;
}

/** A throwaway server of another PostgreSQL major than the machine's (its programs from test/helpers/server-binaries.ts). */
export async function otherMajorServer(major: number): Promise<CorpusServer> {
  const version = SERVER_VERSIONS[major];
  if (!version) throw new Error(`No server build is listed for PostgreSQL ${major} (test/helpers/server-binaries.ts).`);
  const binDir = await serverBinDir(version);
  const baseDir = mkdtempSync(join(tmpdir(), `astra-corpus-pg${major}-`));
  const cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false, binDir });
  await cluster.init();
  await cluster.start();
  await cluster.ensureDatabase('corpus');
  return {
    config: cluster.connectionConfig('corpus'),
    label: `PostgreSQL ${major} (${baseDir})`,
    async close() {
      await cluster.stop().catch(() => {});
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
