import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { astra, repoRoot, startAstra } from '../helpers/cli.js';
import { clickhouseQuery, freshClickhouseDatabase } from '../helpers/clickhouse-server.js';
import { createTestDatabase } from '../helpers/database.js';
import { parseJson } from '../helpers/reports.js';

/**
 * ClickHouse databases of a project, on the real server the global setup
 * starts (Debian's 18.16 here): Crawbl's llm_usage migration, resumption at a
 * failed statement, the run lock, lint, doctor, down files and an upgrade of
 * a project with a PostgreSQL and a ClickHouse database.
 */
const clickhouse = inject('clickhouse');

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const text = await clickhouseQuery(url, `${sql} FORMAT JSONEachRow`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A project with one ClickHouse database (`analytics`) whose migrations are `files`. */
function clickhouseProject(files: Record<string, string>, extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'astra-clickhouse-'));
  mkdirSync(join(dir, 'clickhouse'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, 'clickhouse', name), sql);
  writeFileSync(
    join(dir, 'astra.config.yaml'),
    `databases:\n  - name: analytics\n    kind: clickhouse\n    env: CLICKHOUSE_URL\n    migrations: clickhouse\n${extra}`,
  );
  return dir;
}

type Grouped<T> = { ok: boolean; databases: Record<string, T & { ok: boolean }> };

describe.skipIf(clickhouse === null)('ClickHouse databases', () => {
  it("applies Crawbl's llm_usage migration: rows inserted into llm_usage reach llm_usage_daily through the view; a rerun changes nothing", async () => {
    console.log(`ClickHouse server ${clickhouse!.version}`);
    const database = await freshClickhouseDatabase(clickhouse!.url, 'crawbl');
    const dir = mkdtempSync(join(tmpdir(), 'astra-crawbl-ch-'));
    cpSync(join(repoRoot, 'examples', 'crawbl'), dir, { recursive: true });
    const env = { CLICKHOUSE_URL: database.url };
    const result = await astra(['migrate', 'up', '--db', 'analytics', '--json'], { cwd: dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<Grouped<{ applied: { file: string }[] }>>(result.stdout);
    expect(report.databases.analytics!.applied.map((entry) => entry.file)).toEqual(['001_llm_usage.sql']);
    expect((await rows(database.url, `SELECT name FROM system.tables WHERE database = '${database.name}' ORDER BY name`)).map((row) => row.name)).toEqual([
      'astra_lock',
      'astra_migrations',
      'llm_usage',
      'llm_usage_daily',
      'llm_usage_daily_mv',
    ]);

    await clickhouseQuery(
      database.url,
      `INSERT INTO llm_usage VALUES ('2026-11-01 10:00:00', 'w1', 'a1', 'gpt-4o', 100, 50, 7), ('2026-11-01 11:00:00', 'w1', 'a2', 'gpt-4o', 10, 5, 1), ('2026-11-02 09:00:00', 'w2', 'a3', 'o3', 1, 2, 3)`,
    );
    expect(
      await rows(
        database.url,
        `SELECT toString(day) AS day, workspace_id, model, sum(requests) AS requests, sum(prompt_tokens) AS prompt FROM llm_usage_daily GROUP BY day, workspace_id, model ORDER BY day, workspace_id`,
      ),
    ).toEqual([
      { day: '2026-11-01', workspace_id: 'w1', model: 'gpt-4o', requests: '2', prompt: '110' },
      { day: '2026-11-02', workspace_id: 'w2', model: 'o3', requests: '1', prompt: '1' },
    ]);

    const again = await astra(['migrate', 'up', '--db', 'analytics', '--json'], { cwd: dir, env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(parseJson<Grouped<{ applied: unknown[]; skipped: number[] }>>(again.stdout).databases.analytics).toMatchObject({ applied: [], skipped: [1] });
    expect(again.stderr).toContain('No migrations to apply');

    const status = await astra(['status', '--db', 'analytics', '--json'], { cwd: dir, env });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(parseJson<Grouped<{ kind: string; serverVersion: string; applied: number; pending: number }>>(status.stdout).databases.analytics).toMatchObject({
      kind: 'clickhouse',
      serverVersion: clickhouse!.version,
      applied: 1,
      pending: 0,
    });
  });

  it('a migration whose third statement fails resumes at the third once the file is fixed, without running the first two again', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'resume');
    const first = 'CREATE TABLE events (id UInt32) ENGINE = MergeTree() ORDER BY id;\nINSERT INTO events VALUES (1), (2);\n';
    const dir = clickhouseProject({
      '001_events.sql': `${first}INSERT INTO no_such_table VALUES (3);\nCREATE TABLE IF NOT EXISTS totals (n UInt64) ENGINE = Memory;\n`,
    });
    const env = { CLICKHOUSE_URL: database.url };
    const failed = await astra(['migrate', 'up'], { cwd: dir, env });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/001_events\.sql failed at statement 3 of 4 \(line 3\): .*no_such_table/);
    expect(failed.stderr).toContain('Statements 1–2 completed and are not run again');
    expect(await rows(database.url, 'SELECT count() AS n FROM events')).toEqual([{ n: '2' }]);

    const status = await astra(['status', '--json'], { cwd: dir, env });
    const stopped = parseJson<Grouped<{ unfinished: number; migrations: { state: string; detail: string }[] }>>(status.stdout).databases.analytics!;
    expect(stopped.unfinished).toBe(1);
    expect(stopped.migrations[0]!.state).toBe('failed');
    expect(stopped.migrations[0]!.detail).toContain('stopped after 2 of 4 statement(s)');
    const doctor = await astra(['doctor', '--json'], { cwd: dir, env });
    expect(doctor.exitCode).toBe(1);

    // The fix: the third statement inserts into the table that exists. CREATE TABLE events (no IF NOT EXISTS) would fail if run again.
    writeFileSync(
      join(dir, 'clickhouse', '001_events.sql'),
      `${first}INSERT INTO events VALUES (3);\nCREATE TABLE IF NOT EXISTS totals (n UInt64) ENGINE = Memory;\n`,
    );
    const resumed = await astra(['migrate', 'up'], { cwd: dir, env });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('001_events.sql stopped after statement 2; resuming at statement 3 of 4 (line 3)');
    expect(await rows(database.url, 'SELECT id FROM events ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(await rows(database.url, `SELECT count() AS n FROM system.tables WHERE database = '${database.name}' AND name = 'totals'`)).toEqual([{ n: '1' }]);
  });

  it('a migration whose failed last statement is removed is complete; --to below an applied migration is no drift', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'lastgone');
    const dir = clickhouseProject({
      '001_events.sql': 'CREATE TABLE IF NOT EXISTS events (id UInt32) ENGINE = Memory;\n',
      '002_more.sql': 'CREATE TABLE IF NOT EXISTS more (id UInt32) ENGINE = Memory;\nINSERT INTO nowhere VALUES (1);\n',
    });
    const env = { CLICKHOUSE_URL: database.url };
    expect((await astra(['migrate', 'up'], { cwd: dir, env })).exitCode).toBe(1);
    writeFileSync(join(dir, 'clickhouse', '002_more.sql'), 'CREATE TABLE IF NOT EXISTS more (id UInt32) ENGINE = Memory;\n');
    const finished = await astra(['migrate', 'up'], { cwd: dir, env });
    expect(finished.exitCode, finished.stderr).toBe(0);
    const status = await astra(['status', '--json'], { cwd: dir, env });
    expect(parseJson<Grouped<{ applied: number; unfinished: number }>>(status.stdout).databases.analytics).toMatchObject({ applied: 2, unfinished: 0 });
    const below = await astra(['migrate', 'up', '--to', '1', '--json'], { cwd: dir, env });
    expect(below.exitCode, below.stderr).toBe(0);
    expect(parseJson<Grouped<{ applied: unknown[] }>>(below.stdout).databases.analytics!.applied).toEqual([]);
  });

  it('refuses to resume when a statement that already ran was edited, changing nothing', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'edited');
    const dir = clickhouseProject({ '001_events.sql': 'CREATE TABLE events (id UInt32) ENGINE = Memory;\nINSERT INTO nowhere VALUES (1);\n' });
    const env = { CLICKHOUSE_URL: database.url };
    expect((await astra(['migrate', 'up'], { cwd: dir, env })).exitCode).toBe(1);
    writeFileSync(join(dir, 'clickhouse', '001_events.sql'), 'CREATE TABLE events (id UInt64) ENGINE = Memory;\nINSERT INTO events VALUES (1);\n');
    const refused = await astra(['migrate', 'up'], { cwd: dir, env });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('001_events.sql stopped after 1 statement(s), and those statements were edited since');
    expect(await rows(database.url, 'SELECT count() AS n FROM events')).toEqual([{ n: '0' }]);
  });

  it('two runners at once apply each migration once: with a lease when the project has no PostgreSQL database, and with a lock in PostgreSQL when it has one', async () => {
    const migration = { '001_counter.sql': 'CREATE TABLE IF NOT EXISTS counter (n UInt8) ENGINE = Log;\nINSERT INTO counter VALUES (1);\n' };
    const lease = await freshClickhouseDatabase(clickhouse!.url, 'lease');
    const leaseDir = clickhouseProject(migration);
    const pg = await createTestDatabase();
    const locked = await freshClickhouseDatabase(clickhouse!.url, 'pglock');
    const lockedDir = clickhouseProject(migration, '  - name: app\n    env: APP_DATABASE_URL\n    migrations: postgres\n');
    mkdirSync(join(lockedDir, 'postgres'));
    for (const [dir, url] of [
      [leaseDir, lease.url],
      [lockedDir, locked.url],
    ] as const) {
      const env = { CLICKHOUSE_URL: url, APP_DATABASE_URL: pg.url };
      const runners = [0, 1, 2].map(() => startAstra(['migrate', 'up', '--db', 'analytics', '--json'], { cwd: dir, env }));
      const results = await Promise.all(runners);
      for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
      const applied = results.flatMap((result) => parseJson<Grouped<{ applied: { version: number }[] }>>(result.stdout).databases.analytics!.applied);
      expect(applied.map((entry) => entry.version)).toEqual([1]);
      expect(await rows(url, 'SELECT count() AS n FROM counter')).toEqual([{ n: '1' }]);
    }
  });

  it('an upgrade with a ClickHouse migration that drops a table needs --allow-breaking, and --yes alone changes nothing', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'breaking');
    await clickhouseQuery(database.url, 'CREATE TABLE old_events (id UInt32) ENGINE = Memory');
    const dir = clickhouseProject({ '001_drop.sql': 'DROP TABLE IF EXISTS old_events;\n' });
    const env = { CLICKHOUSE_URL: database.url };
    const count = () => rows(database.url, `SELECT count() AS n FROM system.tables WHERE database = '${database.name}' AND name = 'old_events'`);
    const refused = await astra(['upgrade', '--yes'], { cwd: dir, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('breaking ClickHouse migration(s) (analytics: 001_drop.sql), which --yes alone does not accept');
    expect(await count()).toEqual([{ n: '1' }]);
    const allowed = await astra(['upgrade', '--yes', '--allow-breaking'], { cwd: dir, env });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(await count()).toEqual([{ n: '0' }]);
  });

  it('lint applies the ClickHouse rules: a DROP fails unless acknowledged; mutations and a missing IF NOT EXISTS are reported', async () => {
    const dir = clickhouseProject({
      '001_tables.sql': 'CREATE TABLE events (id UInt32, note String) ENGINE = MergeTree() ORDER BY id;\n',
      '002_cleanup.sql': "ALTER TABLE events DELETE WHERE note = 'spam';\nDROP TABLE IF EXISTS old_events;\n",
    });
    const result = await astra(['lint', '--json'], { cwd: dir, env: {} });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('002_cleanup.sql:2 clickhouse-drop');
    const findings = parseJson<Grouped<{ findings: { rule: string; file: string; status: string }[] }>>(result.stdout).databases.analytics!.findings;
    expect(findings.map((finding) => [finding.file, finding.rule, finding.status])).toEqual([
      ['001_tables.sql', 'clickhouse-if-not-exists', 'ok'],
      ['002_cleanup.sql', 'clickhouse-mutation', 'ok'],
      ['002_cleanup.sql', 'clickhouse-drop', 'failing'],
    ]);
    writeFileSync(
      join(dir, 'clickhouse', '002_cleanup.sql'),
      "ALTER TABLE events DELETE WHERE note = 'spam';\n-- astra:allow clickhouse-drop old_events was replaced by events in 1.2 and nothing reads it\nDROP TABLE IF EXISTS old_events;\n",
    );
    const allowed = await astra(['lint'], { cwd: dir, env: {} });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
  });

  it('migrate down undoes with the .down.sql files; one without its .down.sql is refused, changing nothing', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'down');
    const dir = clickhouseProject({
      '000001_events.up.sql': 'CREATE TABLE IF NOT EXISTS events (id UInt32) ENGINE = Memory;\n',
      '000002_totals.up.sql': 'CREATE TABLE IF NOT EXISTS totals (n UInt64) ENGINE = Memory;\n',
      '000002_totals.down.sql': 'DROP TABLE IF EXISTS totals;\n',
    });
    const env = { CLICKHOUSE_URL: database.url };
    expect((await astra(['migrate', 'up'], { cwd: dir, env })).exitCode).toBe(0);
    const tables = () =>
      rows(database.url, `SELECT name FROM system.tables WHERE database = '${database.name}' AND name IN ('events', 'totals') ORDER BY name`);
    const down = await astra(['migrate', 'down'], { cwd: dir, env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await tables()).toEqual([{ name: 'events' }]);
    const refused = await astra(['migrate', 'down'], { cwd: dir, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('000001_events.up.sql has no .down.sql file, so it cannot be undone; nothing was changed');
    expect(await tables()).toEqual([{ name: 'events' }]);
    const status = await astra(['status', '--json'], { cwd: dir, env });
    expect(parseJson<Grouped<{ applied: number; pending: number }>>(status.stdout).databases.analytics).toMatchObject({ applied: 1, pending: 1 });
    // Applied again after the down: the reverted migration is pending, not drift.
    expect((await astra(['migrate', 'up'], { cwd: dir, env })).exitCode).toBe(0);
    expect(await tables()).toEqual([{ name: 'events' }, { name: 'totals' }]);
  });

  it('a project file that gives a ClickHouse database PostgreSQL settings or a postgresql:// URL is refused, naming the key', async () => {
    const dir = clickhouseProject({ '001_a.sql': 'SELECT 1;\n' }, '    schema: analytics\n');
    const result = await astra(['status'], { cwd: dir, env: { CLICKHOUSE_URL: 'http://127.0.0.1:1/x' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('databases[0].schema is for PostgreSQL databases');
    const urlDir = clickhouseProject({ '001_a.sql': 'SELECT 1;\n' });
    writeFileSync(
      join(urlDir, 'astra.config.yaml'),
      readFileSync(join(urlDir, 'astra.config.yaml'), 'utf8').replace('env: CLICKHOUSE_URL', 'url: postgresql://127.0.0.1/analytics'),
    );
    const badUrl = await astra(['status'], { cwd: urlDir, env: {} });
    expect(badUrl.exitCode).toBe(2);
    expect(badUrl.stderr).toContain('databases[0].url must be an http:// or https:// URL of ClickHouse');
    const unreachable = await astra(['doctor', '--json'], {
      cwd: clickhouseProject({ '001_a.sql': 'SELECT 1;\n' }),
      env: { CLICKHOUSE_URL: 'http://app:s3cr3t-pw@127.0.0.1:1/x' },
    });
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.stdout).toContain('Could not connect to ClickHouse at 127.0.0.1:1/x');
    expect(unreachable.stdout + unreachable.stderr).not.toContain('s3cr3t-pw');
  });

  it('upgrades a project with a PostgreSQL and a ClickHouse database end to end; a ClickHouse failure restores PostgreSQL and says where ClickHouse stands', async () => {
    const database = await freshClickhouseDatabase(clickhouse!.url, 'project');
    const pg = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'astra-crawbl-up-'));
    cpSync(join(repoRoot, 'examples', 'crawbl'), dir, { recursive: true });
    const env = { DATABASE_URL: pg.url, CLICKHOUSE_URL: database.url };
    const dry = await astra(['upgrade', '--dry-run'], { cwd: dir, env });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('cannot be rolled back past 001_llm_usage.sql');
    const result = await astra(['upgrade', '--yes', '--json'], { cwd: dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = parseJson<Grouped<{ kind?: string; applied: { file: string }[]; to?: string }>>(result.stdout);
    expect(report.databases.orchestrator).toMatchObject({ to: '0.3.0' });
    expect(report.databases.analytics).toMatchObject({ kind: 'clickhouse', applied: [{ file: '001_llm_usage.sql' }] });
    expect(await pg.query(`SELECT count(*)::int AS n FROM orchestrator.models`)).toEqual([{ n: 4 }]);

    // The next release: a PostgreSQL migration and a ClickHouse one that fails at its second statement.
    writeFileSync(
      join(dir, 'migrations', 'orchestrator', '000006_usage_alerts.up.sql'),
      'CREATE TABLE IF NOT EXISTS usage_alerts (id bigserial PRIMARY KEY);\n',
    );
    writeFileSync(
      join(dir, 'release-notes', '0.4.0.md'),
      '---\nversion: 0.4.0\ndate: 2026-08-01\nstop_application: false\nmigrations:\n  - file: 000006_usage_alerts.up.sql\n    safety: safe\n---\n\n# Crawbl 0.4.0\n\nUsage alerts.\n',
    );
    writeFileSync(
      join(dir, 'migrations', 'clickhouse', '002_by_agent.sql'),
      'CREATE TABLE IF NOT EXISTS llm_usage_by_agent (agent_id String, n UInt64) ENGINE = SummingMergeTree() ORDER BY agent_id;\nINSERT INTO missing_table VALUES (1);\n',
    );
    const failed = await astra(['upgrade', '--yes'], { cwd: dir, env });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('002_by_agent.sql failed at statement 2 of 2');
    expect(failed.stderr).toContain('orchestrator was restored from the backup taken before this upgrade');
    expect(failed.stderr).toContain('analytics (ClickHouse) stays where it stopped');
    expect(await pg.query(`SELECT to_regclass('orchestrator.usage_alerts') AS t`)).toEqual([{ t: null }]);

    writeFileSync(
      join(dir, 'migrations', 'clickhouse', '002_by_agent.sql'),
      "CREATE TABLE IF NOT EXISTS llm_usage_by_agent (agent_id String, n UInt64) ENGINE = SummingMergeTree() ORDER BY agent_id;\nINSERT INTO llm_usage_by_agent VALUES ('a1', 1);\n",
    );
    const fixed = await astra(['upgrade', '--yes'], { cwd: dir, env });
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(await pg.query(`SELECT to_regclass('orchestrator.usage_alerts')::text AS t`)).toEqual([{ t: 'orchestrator.usage_alerts' }]);
    expect(await rows(database.url, 'SELECT agent_id, n FROM llm_usage_by_agent')).toEqual([{ agent_id: 'a1', n: '1' }]);
  });
});
