import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanEnv, repoRoot } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { parseJson, type StatusReport } from '../helpers/reports.js';

// The packed package, installed where an operator would install it.
const work = mkdtempSync(join(tmpdir(), 'astra-pack-'));
const project = join(work, 'project');
let db: TestDatabase;

/** The environment of a shell outside this repository: no npm_* variables of the test run. */
function outsideEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env = cleanEnv(extra);
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_')) delete env[key];
  return env;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, env: outsideEnv(), extendEnv: false });
  const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack made no tarball');
  await execa('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'operator-project', version: '1.0.0', private: true }));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], { cwd: project, env: outsideEnv(), extendEnv: false });
}, 300_000);

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the built CLI, the migrations and the release notes', async () => {
    const { stdout } = await execa('npm', ['pack', '--ignore-scripts', '--dry-run', '--json'], { cwd: repoRoot, env: outsideEnv(), extendEnv: false });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
    expect(files).toContain('bin/astra.js');
    expect(files).toContain('dist/cli.js');
    expect(files.some((file) => file.startsWith('migrations/'))).toBe(true);
    expect(files.some((file) => file.startsWith('test/'))).toBe(false);
    expect(files.some((file) => file.startsWith('src/'))).toBe(false);
  });

  it('npx astra --version prints the package version', async () => {
    const result = await execa('npx', ['--no-install', 'astra', '--version'], { cwd: project, env: outsideEnv(), extendEnv: false });
    const { version } = parseJson<{ version: string }>(await import('node:fs').then((fs) => fs.readFileSync(join(repoRoot, 'package.json'), 'utf8')));
    expect(result.stdout.trim()).toBe(version);
  });

  it('npx astra status reads the shipped migrations and reaches the database', async () => {
    const result = await execa('npx', ['--no-install', 'astra', 'status', '--json'], {
      cwd: project,
      env: outsideEnv({ DATABASE_URL: db.url }),
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<StatusReport>(result.stdout);
    expect(report.migrationsDir).toBe(join(project, 'node_modules', 'astra', 'migrations'));
    expect(report.applied).toBe(0);
    expect(report.pending).toBe(report.migrations.length);
  });
});
