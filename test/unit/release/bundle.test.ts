import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parsePlPgSQL } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkBundle, formatProblem } from '../../../src/release/check.js';
import { loadReleaseNotes, type ReleaseNotes } from '../../../src/release/notes.js';
import { requiredStops } from '../../../src/release/versions.js';

// The bundle the package ships: migrations/ and release-notes/ at its root.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const migrationsDir = `${root}migrations`;
const migrationFiles = readdirSync(migrationsDir)
  .filter((name) => name.endsWith('.sql'))
  .sort();
const sql = (file: string) => readFileSync(`${migrationsDir}/${file}`, 'utf8');
const packageVersion = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;

// Open Astra's 35 migrations, as its documentation lists them.
const OPEN_ASTRA = [
  '001-schema-migrations',
  '002-core-tables',
  '003-sessions',
  '004-memory',
  '005-billing',
  '006-webhooks',
  '007-agent-infra',
  '008-auth',
  '009-agent-configs',
  '010-memory-extensions',
  '011-channel-routing',
  '012-knowledge-store',
  '013-advanced-features',
  '014-team-features',
  '015-heartbeat',
  '016-workspace-files',
  '017-tool-outputs',
  '018-message-archive',
  '019-workspace-graph-entities',
  '020-tool-tasks',
  '021-skill-metrics',
  '022-graph-confidence',
  '023-security-rbac',
  '024-memory-improvements',
  '025-vector-indexes',
  '026-session-webhook',
  '027-scheduled-agents',
  '028-workspace-model-restrictions',
  '029-workspace-agent-grants',
  '030-fix-secrets-schema',
  '031-agent-traces',
  '032-job-queue',
  '033-agent-versions',
  '034-memory-profiles',
  '035-linear-channel',
].map((name) => `${name}.sql`);

type Node = Record<string, unknown>;
interface ParsedStatement {
  stmt: Node;
}

/** Every object in a parse tree that has `key`. */
function findAll(tree: unknown, key: string): Node[] {
  const found: Node[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if (key in value) found.push((value as Node)[key] as Node);
      Object.values(value).forEach(walk);
    }
  };
  walk(tree);
  return found;
}

let releases: ReleaseNotes[];
beforeAll(async () => {
  releases = await loadReleaseNotes(`${root}release-notes`);
});

describe('the shipped release bundle', () => {
  it('passes checkBundle with no problems', () => {
    expect(checkBundle(releases, migrationFiles).map(formatProblem)).toEqual([]);
  });

  it('has one release per version from 0.1.0 to the package version', () => {
    const versions = releases.map((notes) => notes.metadata.version);
    expect(versions).toEqual(['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '0.9.0', '0.10.0']);
    expect(versions.at(-1)).toBe(packageVersion);
  });

  it("starts with Open Astra's 35 migrations and adds later releases after them", () => {
    expect(migrationFiles.slice(0, 35)).toEqual(OPEN_ASTRA);
    expect(migrationFiles.length).toBeGreaterThan(35);
  });

  it('marks every release with a breaking migration stop_application, and uses upgrade_from', () => {
    for (const notes of releases) {
      const breaking = notes.metadata.migrations.some((migration) => migration.safety === 'breaking');
      if (breaking) expect(notes.metadata.stop_application, notes.file).toBe(true);
    }
    expect(releases.some((notes) => notes.metadata.upgrade_from !== undefined)).toBe(true);
    expect(requiredStops(releases, '0.5.0', packageVersion)).toEqual(['0.9.0', '0.10.0']);
  });

  it('gives a person the three sections, and the rollback command to the previous version', () => {
    releases.forEach((notes, index) => {
      expect(notes.body, notes.file).toContain("## What's new");
      expect(notes.body, notes.file).toContain('## Breaking changes');
      expect(notes.body, notes.file).toContain('## Rolling back');
      const breaking = notes.metadata.migrations.some((migration) => migration.safety === 'breaking');
      const section = notes.body.split('## Breaking changes')[1]?.split('\n## ')[0]?.trim() ?? '';
      if (!breaking) expect(section, notes.file).toMatch(/^None\./);
      else expect(section, notes.file).toContain('What to do');
      const previous = releases[index - 1];
      if (previous) expect(notes.body, notes.file).toContain(`astra rollback --to ${previous.metadata.version}`);
    });
  });
});

describe('the shipped migrations', () => {
  it.each(migrationFiles)('%s parses and leaves transactions to the runner', async (file) => {
    const tree = await parse(sql(file));
    expect(tree.stmts?.length).toBeGreaterThan(0);
    expect(findAll(tree, 'TransactionStmt'), 'no BEGIN/COMMIT').toEqual([]);
    expect(
      findAll(tree, 'CreateStmt').every((create) => create.if_not_exists === true),
      'CREATE TABLE IF NOT EXISTS',
    ).toBe(true);
    expect(
      findAll(tree, 'IndexStmt').every((index) => index.if_not_exists === true),
      'CREATE INDEX IF NOT EXISTS',
    ).toBe(true);
  });

  it('builds the index on messages alone in its file, in the plain form', async () => {
    const onMessages = [];
    for (const file of migrationFiles.filter((name) => Number(name.slice(0, 3)) > 35)) {
      const tree = (await parse(sql(file))) as { stmts: ParsedStatement[] };
      const indexes = tree.stmts.filter(({ stmt }) => 'IndexStmt' in stmt);
      if (indexes.some(({ stmt }) => (stmt.IndexStmt as { relation: { relname: string } }).relation.relname === 'messages')) {
        onMessages.push(file);
        expect(tree.stmts, file).toHaveLength(1);
        expect((indexes[0]?.stmt.IndexStmt as { concurrent?: boolean }).concurrent, file).toBeFalsy();
      }
    }
    expect(onMessages).toHaveLength(1);
  });

  // pgvector is optional and absent where the tests run, so the vector DDL in the
  // DO blocks never executes here: at least prove every statement it would run parses.
  it('writes valid SQL in every EXECUTE of every DO block', async () => {
    let executed = 0;
    for (const file of migrationFiles) {
      const tree = await parse(sql(file));
      for (const doStmt of findAll(tree, 'DoStmt')) {
        const body = findAll(doStmt, 'String')[0]?.sval as string;
        const plpgsql = await parsePlPgSQL(`CREATE FUNCTION astra_check() RETURNS void LANGUAGE plpgsql AS $astra_check$${body}$astra_check$`);
        for (const dynamic of findAll(plpgsql, 'PLpgSQL_stmt_dynexecute')) {
          const expression = (findAll(dynamic, 'PLpgSQL_expr')[0]?.query as string) ?? '';
          // The statement is a string literal, or format('...%I...', ...) with identifiers.
          const literal = findAll(await parse(`SELECT ${expression}`), 'A_Const')[0]?.sval as { sval: string } | undefined;
          expect(literal, `${file}: ${expression}`).toBeDefined();
          const statement = (literal?.sval ?? '').replaceAll('%I', 'some_table');
          await expect(parse(statement), `${file}: ${statement}`).resolves.toBeDefined();
          executed += 1;
        }
      }
    }
    expect(executed).toBeGreaterThanOrEqual(20);
  });
});
