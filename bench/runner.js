// The runner: many small migrations on an empty database, applied by astra,
// dbmate and node-pg-migrate (each as its user runs it, with its own defaults),
// and by psql in one session and one transaction as the floor; then `astra status` and
// `astra doctor` on the result, each beside its floor (lib/floor.js). Alternating runs, medians.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findClientTool } from '../dist/pgtools/client-tools.js';
import { createDatabase, dropDatabase, libpqEnv } from './lib/cluster.js';
import { bundleFloor, recordStatements } from './lib/floor.js';
import { astraBin, childEnv, repoRoot, runMeasured } from './lib/measure.js';
import { formatCount, formatKb, formatMs, formatRatio, jsonRatio, ratio, section } from './lib/report.js';
import { quantile } from './lib/stats.js';

export const RUNNER_COUNTS = [300, 1000];
const ROUNDS = 3;
const STATUS_RUNS = 15;
const DOCTOR_RUNS = 9;

/**
 * Migration `i` of the set: a table with a key and an index, and from the
 * second on a column added to the table before it. Small and transactional,
 * as most of an application's migrations are; the same SQL for every tool.
 */
function migrationSql(i) {
  const lines = [
    `CREATE TABLE bench_t${i} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
    `CREATE INDEX bench_t${i}_name_idx ON bench_t${i} (name);`,
  ];
  if (i > 1) lines.push(`ALTER TABLE bench_t${i - 1} ADD COLUMN note text;`);
  return lines.join('\n');
}

const downSql = (i) => [...(i > 1 ? [`ALTER TABLE bench_t${i - 1} DROP COLUMN note;`] : []), `DROP TABLE bench_t${i};`].join('\n');

/** The same migrations in each tool's own naming and format. */
function writeFolders(dir, count) {
  const folders = { astra: join(dir, 'astra'), dbmate: join(dir, 'dbmate'), npm: join(dir, 'node-pg-migrate') };
  for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
  const all = [];
  for (let i = 1; i <= count; i++) {
    const sql = migrationSql(i);
    all.push(sql);
    writeFileSync(join(folders.astra, `${String(i).padStart(6, '0')}_bench_${i}.up.sql`), `${sql}\n`);
    writeFileSync(join(folders.dbmate, `2024${String(i).padStart(10, '0')}_bench_${i}.sql`), `-- migrate:up\n${sql}\n\n-- migrate:down\n${downSql(i)}\n`);
    writeFileSync(join(folders.npm, `${String(i).padStart(13, '0')}_bench-${i}.sql`), `-- Up Migration\n${sql}\n-- Down Migration\n${downSql(i)}\n`);
  }
  const psqlFile = join(dir, 'all.sql');
  writeFileSync(psqlFile, `${all.join('\n')}\n`);
  return { ...folders, psqlFile };
}

export async function measureRunner(bench) {
  const { cluster, workDir, progress } = bench;
  const psql = (await findClientTool('psql', cluster.state().major)).path;
  const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
  const results = [];
  let statusRow;
  for (const count of RUNNER_COUNTS) {
    const dir = join(workDir, `runner-${count}`);
    const folders = writeFolders(dir, count);
    const warmCache = join(dir, 'cache-warm');
    const astraEnv = (db, cache) => childEnv({ DATABASE_URL: cluster.connectionUrl(db), ASTRA_CACHE_DIR: cache });
    const subjects = [
      { name: `psql -1 -f, one session (floor)`, floor: true, run: (db) => runMeasured(psql, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', folders.psqlFile], { env: childEnv(libpqEnv(cluster, db)), cwd: dir }) },
      {
        name: 'dbmate up',
        tool: true,
        run: (db) => runMeasured(bin('dbmate'), ['--migrations-dir', folders.dbmate, '--no-dump-schema', 'up'], { env: childEnv({ DATABASE_URL: `${cluster.connectionUrl(db)}?sslmode=disable` }), cwd: dir }),
      },
      {
        name: 'node-pg-migrate up',
        tool: true,
        run: (db) => runMeasured(bin('node-pg-migrate'), ['up', '-m', folders.npm, '--migration-file-language', 'sql'], { env: childEnv({ DATABASE_URL: cluster.connectionUrl(db) }), cwd: dir }),
      },
      {
        name: 'astra migrate up, ASTRA_CACHE_DIR=off',
        astra: true,
        run: (db) => runMeasured('node', [astraBin, '--migrations-dir', folders.astra, 'migrate', 'up'], { env: astraEnv(db, 'off'), cwd: dir }),
      },
      {
        name: 'astra migrate up, first run (parses every file)',
        astra: true,
        // A new, empty cache each run: nothing parsed before.
        run: (db) => runMeasured('node', [astraBin, '--migrations-dir', folders.astra, 'migrate', 'up'], { env: astraEnv(db, mkdtempSync(join(dir, 'cache-'))), cwd: dir }),
      },
      {
        name: 'astra migrate up, files parsed before',
        astra: true,
        kept: true,
        // The cache as an earlier run left it (below): what an upgrade after lint, doctor or another database's upgrade finds.
        run: (db) => runMeasured('node', [astraBin, '--migrations-dir', folders.astra, 'migrate', 'up'], { env: astraEnv(db, warmCache), cwd: dir }),
      },
    ];
    // The warm cache: a first run on a scratch database parses every file into it.
    await createDatabase(cluster, 'bench_runner_warm');
    await runMeasured('node', [astraBin, '--migrations-dir', folders.astra, 'migrate', 'up'], { env: astraEnv('bench_runner_warm', warmCache), cwd: dir });
    await dropDatabase(cluster, 'bench_runner_warm');
    const samples = subjects.map(() => ({ wallMs: [], peakRssKb: [] }));
    let kept;
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with a different tool, so that none always runs first.
      for (let k = 0; k < subjects.length; k++) {
        const index = (k + round) % subjects.length;
        const subject = subjects[index];
        const database = `bench_runner_${count}_${index}`;
        await dropDatabase(cluster, database);
        await createDatabase(cluster, database);
        progress(`  ${count} migrations, round ${round + 1} of ${ROUNDS}: ${subject.name}`);
        const run = await subject.run(database);
        samples[index].wallMs.push(run.wallMs);
        if (run.peakRssKb !== undefined) samples[index].peakRssKb.push(run.peakRssKb);
        if (subject.kept && round === ROUNDS - 1) kept = database;
        else await dropDatabase(cluster, database);
      }
    }
    const rows = subjects.map((subject, index) => ({
      name: subject.name,
      floor: subject.floor === true,
      tool: subject.tool === true,
      astra: subject.astra === true,
      wallMs: quantile(samples[index].wallMs, 0.5),
      peakRssKb: quantile(samples[index].peakRssKb, 0.5),
    }));
    const fastestTool = Math.min(...rows.filter((row) => row.tool).map((row) => row.wallMs));
    for (const row of rows) row.ratio = ratio(row.wallMs, fastestTool);
    results.push({ count, rows });

    if (count === Math.max(...RUNNER_COUNTS)) {
      progress(`  astra status with ${count} migrations applied, ${STATUS_RUNS} runs beside its floor...`);
      const statusArgs = [astraBin, '--migrations-dir', folders.astra, 'status', '--json'];
      const statusFloor = await floorOf(statusArgs, { env: astraEnv(kept, warmCache), cwd: dir, files: folders.astra });
      const wall = [];
      const rss = [];
      const node = [];
      const floor = [];
      const withoutCa = { wall: [], node: [] };
      for (let run = 0; run < STATUS_RUNS; run++) {
        const measured = await runMeasured('node', statusArgs, { env: astraEnv(kept, warmCache), cwd: dir });
        wall.push(measured.wallMs);
        if (measured.peakRssKb !== undefined) rss.push(measured.peakRssKb);
        floor.push((await statusFloor.run()).wallMs);
        node.push((await nodeStart(dir)).wallMs);
        if (extraCaCertsSet) {
          withoutCa.wall.push((await runMeasured('node', statusArgs, { env: withoutExtraCa(astraEnv(kept, warmCache)), cwd: dir })).wallMs);
          withoutCa.node.push((await nodeStart(dir, withoutExtraCa)).wallMs);
        }
      }
      statusRow = {
        count,
        wallMs: quantile(wall, 0.5),
        peakRssKb: quantile(rss, 0.5),
        nodeMs: quantile(node, 0.5),
        floorMs: quantile(floor, 0.5),
        statements: statusFloor.statements,
        withoutCa: withoutCaMedians(withoutCa),
      };
    }
    await dropDatabase(cluster, kept);
    rmSync(dir, { recursive: true, force: true });
  }
  const doctor = await measureDoctor(bench);
  return { results, status: statusRow, doctor };
}

/**
 * `astra doctor` on a healthy database: the migrations shipped with astra
 * applied, a verified backup beside it. Nothing to compare with in the same
 * run but the target itself (300 ms, 90 MB).
 */
async function measureDoctor(bench) {
  const { cluster, workDir, progress } = bench;
  const database = 'bench_doctor';
  const dir = join(workDir, 'doctor');
  mkdirSync(dir, { recursive: true });
  await dropDatabase(cluster, database);
  await createDatabase(cluster, database);
  const cache = join(dir, 'cache');
  const astra = (args, cacheDir = cache, envOf = (env) => env) =>
    runMeasured('node', [astraBin, ...args], { env: envOf(childEnv({ DATABASE_URL: cluster.connectionUrl(database), ASTRA_CACHE_DIR: cacheDir })), cwd: dir });
  progress('  doctor: applying the shipped migrations and taking a verified backup...');
  await astra(['migrate', 'up']);
  const created = JSON.parse((await astra(['--json', 'backup', 'create'])).stdout);
  await astra(['backup', 'verify', created.backup.id]);
  progress(`  astra doctor, ${DOCTOR_RUNS} runs beside its floor...`);
  const doctorFloor = await floorOf([astraBin, '--json', 'doctor'], {
    env: childEnv({ DATABASE_URL: cluster.connectionUrl(database), ASTRA_CACHE_DIR: cache }),
    cwd: dir,
    files: join(repoRoot, 'migrations'),
  });
  // With the cache as migrate up left it (the shipped migrations parsed), and without one (every file parsed, the parser loaded), alternating.
  const samples = { warm: { wall: [], rss: [] }, cold: { wall: [], rss: [] } };
  const node = [];
  const floor = [];
  const withoutCa = { wall: [], node: [] };
  let report;
  for (let run = 0; run < DOCTOR_RUNS; run++) {
    for (const [kind, cacheDir] of run % 2 ? [['cold', 'off'], ['warm', cache]] : [['warm', cache], ['cold', 'off']]) {
      const measured = await astra(['--json', 'doctor'], cacheDir);
      report = JSON.parse(measured.stdout);
      samples[kind].wall.push(measured.wallMs);
      if (measured.peakRssKb !== undefined) samples[kind].rss.push(measured.peakRssKb);
    }
    floor.push((await doctorFloor.run()).wallMs);
    node.push((await nodeStart(dir)).wallMs);
    if (extraCaCertsSet) {
      withoutCa.wall.push((await astra(['--json', 'doctor'], cache, withoutExtraCa)).wallMs);
      withoutCa.node.push((await nodeStart(dir, withoutExtraCa)).wallMs);
    }
  }
  await dropDatabase(cluster, database);
  rmSync(dir, { recursive: true, force: true });
  const median = ({ wall, rss }) => ({ wallMs: quantile(wall, 0.5), peakRssKb: quantile(rss, 0.5) });
  return {
    checks: report.checks.length,
    summary: report.summary,
    ...median(samples.warm),
    cold: median(samples.cold),
    nodeMs: quantile(node, 0.5),
    floorMs: quantile(floor, 0.5),
    statements: doctorFloor.statements,
    withoutCa: withoutCaMedians(withoutCa),
  };
}

/**
 * The floor of a command that reads a database and a migrations folder
 * (doctor, status): the statements it sends, recorded from one run of it
 * (which also leaves its caches as a second run finds them), sent again by
 * bench/floor/replay.js after reading and hashing the folder's files.
 */
async function floorOf(args, { env, cwd, files }) {
  const script = await bundleFloor(cwd);
  const recorded = join(cwd, 'floor-statements.json');
  const statements = await recordStatements(args, { env, cwd, file: recorded });
  const floorEnv = childEnv({ DATABASE_URL: env.DATABASE_URL, FLOOR_FILES: files, FLOOR_STATEMENTS: recorded });
  return { statements, run: () => runMeasured('node', [script], { env: floorEnv, cwd }) };
}

/**
 * `node -e 0` run between the measured commands: the part of their time that
 * is Node starting, on this machine at that moment (its speed drifts by tens
 * of percent over minutes), so that a reader can tell astra's time from it.
 */
const nodeStart = (cwd, envOf = (env) => env) => runMeasured('node', ['-e', '0'], { env: envOf(childEnv({})), cwd });

/**
 * A file of certificate authorities that Node reads and parses as it starts,
 * before any code of the program runs, when NODE_EXTRA_CA_CERTS names one
 * (Node 20 does, at every start; about 40 ms of `node -e 0` with Debian's
 * bundle on the machine of bench/RESULTS.md). Where the environment sets it,
 * doctor and status are measured without it too, beside `node -e 0` without
 * it, so that a reader can tell Node's start in this environment from astra.
 */
const extraCaCertsSet = process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.NODE_EXTRA_CA_CERTS !== '';
const withoutExtraCa = (env) => {
  const { NODE_EXTRA_CA_CERTS: _left, ...rest } = env;
  return rest;
};

/** The medians of the runs without NODE_EXTRA_CA_CERTS; undefined when the environment does not set it (none ran). */
const withoutCaMedians = ({ wall, node }) => (extraCaCertsSet ? { wallMs: quantile(wall, 0.5), nodeMs: quantile(node, 0.5) } : undefined);

/** The sentence on a run without NODE_EXTRA_CA_CERTS, when there was one. */
const withoutCaSentence = (row) =>
  row.withoutCa
    ? `; without NODE_EXTRA_CA_CERTS (which this environment sets) ${formatMs(row.withoutCa.wallMs)}, \`node -e 0\` then ${formatMs(row.withoutCa.nodeMs)}`
    : '';

/** The floor beside a command's time, and Node's start beside both. */
const floorSentence = (row, files) =>
  `its floor (bench/floor/replay.js: Node, pg, one connection, the ${row.statements} statements it sent, ${files}; nothing else) ${formatMs(row.floorMs)}, ${formatRatio(ratio(row.wallMs, row.floorMs))} of it, ${formatMs(row.wallMs - row.floorMs)} above; \`node -e 0\` between them ${formatMs(row.nodeMs)}`;

export function renderRunner({ results, status, doctor }) {
  const out = [];
  for (const { count, rows } of results) {
    out.push(
      section(
        `Runner: ${formatCount(count)} small migrations on an empty database (medians of ${ROUNDS} alternating runs; target: astra's first run at most 1.0x the faster of dbmate and node-pg-migrate)`,
        ['RUN', 'WALL', 'X FASTER TOOL', 'PEAK RSS'],
        rows.map((row) => [row.name, formatMs(row.wallMs), formatRatio(row.ratio), formatKb(row.peakRssKb)]),
        ['Each migration: CREATE TABLE with a key, CREATE INDEX on it, and (from the second) ADD COLUMN to the table before; one transaction per migration with its ledger row for astra and dbmate, node-pg-migrate as its defaults run them.'],
      ),
    );
  }
  if (status)
    out.push(
      `astra status with ${formatCount(status.count)} migrations applied: ${formatMs(status.wallMs)} (median of ${STATUS_RUNS}; target under 300 ms), peak RSS ${formatKb(status.peakRssKb)}; ${floorSentence(status, 'its files read and hashed')}${withoutCaSentence(status)}\n`,
    );
  if (doctor)
    out.push(
      `astra doctor on a healthy database (shipped migrations applied, verified backup; ${doctor.checks} checks, ${doctor.summary.ok} ok, ${doctor.summary.warn} warnings, ${doctor.summary.fail} failures): ${formatMs(doctor.wallMs)} (median of ${DOCTOR_RUNS}; target under 300 ms), peak RSS ${formatKb(doctor.peakRssKb)} (target under 90 MB); without the parse cache (ASTRA_CACHE_DIR=off) ${formatMs(doctor.cold.wallMs)}, ${formatKb(doctor.cold.peakRssKb)}; ${floorSentence(doctor, 'the shipped migrations read and hashed')}${withoutCaSentence(doctor)}\n`,
    );
  return out.join('\n');
}

const jsonWithoutCa = (row) => (row.withoutCa ? { wallMs: Math.round(row.withoutCa.wallMs), nodeStartMs: Math.round(row.withoutCa.nodeMs) } : null);

export function runnerJson({ results, status, doctor }) {
  return {
    runs: results.map(({ count, rows }) => ({
      migrations: count,
      rows: rows.map((row) => ({ name: row.name, wallMs: Math.round(row.wallMs), ratioToFasterTool: jsonRatio(row.ratio), peakRssKb: row.peakRssKb ?? null })),
    })),
    status: status
      ? { migrations: status.count, wallMs: Math.round(status.wallMs), peakRssKb: status.peakRssKb ?? null, floorMs: Math.round(status.floorMs), nodeStartMs: Math.round(status.nodeMs), withoutExtraCaCerts: jsonWithoutCa(status) }
      : null,
    doctor: doctor
      ? { checks: doctor.checks, summary: doctor.summary, wallMs: Math.round(doctor.wallMs), peakRssKb: doctor.peakRssKb ?? null, withoutCache: { wallMs: Math.round(doctor.cold.wallMs), peakRssKb: doctor.cold.peakRssKb ?? null }, floorMs: Math.round(doctor.floorMs), nodeStartMs: Math.round(doctor.nodeMs), withoutExtraCaCerts: jsonWithoutCa(doctor) }
      : null,
  };
}
