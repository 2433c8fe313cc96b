import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { astra, fixturesDir } from '../helpers/cli.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { parseJson, type DoctorReport, type StatusReport } from '../helpers/reports.js';

// A project folder as a fresh clone has it: no database configured anywhere.
const project = mkdtempSync(join(tmpdir(), 'astra-embedded-'));
const clusterDir = join(project, '.astra', 'postgres');

// A second fresh clone, for the main job on the shipped bundle.
const freshClone = mkdtempSync(join(tmpdir(), 'astra-fresh-clone-'));
// A third, where two runs start at once.
const raced = mkdtempSync(join(tmpdir(), 'astra-raced-'));

afterAll(async () => {
  for (const folder of [project, freshClone, raced]) {
    const cluster = new LocalCluster(join(folder, '.astra', 'postgres'));
    await cluster.stop();
    // Run as root from a folder the server's user cannot enter, the data lives under /var/lib/astra.
    rmSync(cluster.dataDir.startsWith('/var/lib/astra/') ? dirname(cluster.dataDir) : cluster.dataDir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('the embedded default database', () => {
  it('is not created for a run whose migrations are bad input: exit 2, no ./.astra/', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'astra-embedded-bad-'));
    try {
      for (const command of [['migrate', 'up'], ['status']]) {
        const run = await astra(['--migrations-dir', join(folder, 'missing'), ...command], {
          cwd: folder,
        });
        expect(run.exitCode, run.stderr).toBe(2);
        expect(run.stderr).toContain('cannot be read');
        expect(existsSync(join(folder, '.astra'))).toBe(false);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('creates and starts a local cluster under ./.astra/ when nothing is configured, and says so in one line', async () => {
    const dir = join(fixturesDir, 'naming-dash');
    const first = await astra(['--migrations-dir', dir, 'migrate', 'up'], { cwd: project });
    expect(first.exitCode, first.stderr).toBe(0);
    const announcements = first.stderr.split('\n').filter((line) => line.startsWith('No database configured'));
    expect(announcements).toHaveLength(1);
    expect(announcements[0]).toContain(`using the new local PostgreSQL`);
    expect(announcements[0]).toContain(clusterDir);
    expect(existsSync(join(clusterDir, 'cluster.json'))).toBe(true);

    // Stopped in between: the next command starts it again and finds its data.
    await new LocalCluster(clusterDir).stop();
    const status = await astra(['--migrations-dir', dir, 'status', '--json'], { cwd: project });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stderr).toContain('using the local PostgreSQL');
    expect(status.stderr).not.toContain('new local');
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: 2, pending: 0 });
  });

  it('npx astra upgrade --yes takes the local database from nothing to the package version, and doctor then passes', async () => {
    const upgrade = await astra(['upgrade', '--yes'], { cwd: freshClone });
    expect(upgrade.exitCode, upgrade.stderr).toBe(0);
    const status = parseJson<StatusReport>((await astra(['status', '--json'], { cwd: freshClone })).stdout);
    expect(status.databaseVersion).toBe(status.applicationVersion);
    const doctor = await astra(['doctor', '--json'], { cwd: freshClone });
    expect(doctor.exitCode, doctor.stdout).toBe(0);
    expect(parseJson<DoctorReport>(doctor.stdout).checks.filter((check) => check.status === 'fail')).toEqual([]);
  });

  it('two runs starting at once on first use make one cluster, and both succeed', async () => {
    const dir = join(fixturesDir, 'naming-dash');
    const runs = await Promise.all([1, 2].map(() => astra(['--migrations-dir', dir, 'status', '--json'], { cwd: raced })));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(runs.filter((run) => run.stderr.includes('using the new local PostgreSQL')).length).toBeGreaterThanOrEqual(1);
  });
});
