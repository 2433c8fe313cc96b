import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // An ES module project, like an application that imports astra as a library.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'operator-project', version: '1.0.0', private: true, type: 'module' }));
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

  it('is a typed library: a TypeScript consumer type-checks against the shipped .d.ts, and migrate, status, doctor and upgrade (dry run) work', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { AstraError, doctor, migrate, status, upgrade, type StatusReport, type UpgradeReport } from 'astra';

export async function main(connectionString: string): Promise<string> {
  const before: StatusReport = await status({ connectionString });
  const planned: UpgradeReport = await upgrade({ connectionString, dryRun: true });
  const applied = await migrate({ connectionString });
  const after = await status({ connectionString });
  const health = await doctor({ connectionString });
  // @ts-expect-error: the options are typed, so a wrong type is a compile error.
  await status({ connectionString: 42 }).catch((error: unknown) => error instanceof AstraError);
  return JSON.stringify({
    pendingBefore: before.pending,
    planned: { from: planned.from, to: planned.to, dryRun: planned.dryRun, pending: planned.plan.pending.length },
    applied: applied.applied.length,
    after: { pending: after.pending, applied: after.applied, databaseVersion: after.databaseVersion },
    connection: health.checks.find((check) => check.id === 'connection')?.status,
  });
}
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out' },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await execa('node', [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: project,
      env: outsideEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(tsc.exitCode, tsc.stdout).toBe(0);
    const run = await execa(
      'node',
      ['--input-type=module', '-e', "import { main } from './out/consumer.js'; process.stdout.write(await main(process.env.DATABASE_URL));"],
      {
        cwd: project,
        env: outsideEnv({ DATABASE_URL: db.url }),
        extendEnv: false,
        reject: false,
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout) as {
      pendingBefore: number;
      planned: { from: string | null; to: string; dryRun: boolean; pending: number };
      applied: number;
      after: { pending: number; applied: number; databaseVersion: string | null };
      connection: string;
    };
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(seen.planned).toEqual({ from: null, to: version, dryRun: true, pending: seen.pendingBefore });
    expect(seen.applied).toBe(seen.pendingBefore);
    expect(seen.after).toEqual({ pending: 0, applied: seen.pendingBefore, databaseVersion: version });
    expect(seen.connection).toBe('ok');
    // Silent as a library: nothing on stderr.
    expect(run.stderr).toBe('');
  });
});
