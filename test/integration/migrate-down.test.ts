import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { astra, copyFixture, fixturesDir } from '../helpers/cli.js';
import { createTestDatabase, ledgerVersions, tableNames, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

const updown = join(fixturesDir, 'naming-updown');
const run = (dir: string, ...args: string[]) => astra(['--migrations-dir', dir, ...args], { env: { DATABASE_URL: db.url } });

describe('astra migrate down, goto, force', () => {
  it('down undoes the last migration with its .down.sql, and down N the last N', async () => {
    expect((await run(updown, 'migrate', 'up')).exitCode).toBe(0);
    const one = await run(updown, 'migrate', 'down');
    expect(one.exitCode).toBe(0);
    expect(one.stderr).toContain('Undid 1 migration(s): 2');
    expect(await tableNames(db)).toEqual(['astra_migrations', 'users']);
    expect(await ledgerVersions(db)).toEqual([1]);

    expect((await run(updown, 'migrate', 'up')).exitCode).toBe(0);
    const two = await run(updown, 'migrate', 'down', '2');
    expect(two.exitCode).toBe(0);
    expect(await tableNames(db)).toEqual(['astra_migrations']);
    expect(await ledgerVersions(db)).toEqual([]);
  });

  it('down refuses, changing nothing, when a migration to undo has no .down.sql', async () => {
    const dash = join(fixturesDir, 'naming-dash');
    expect((await run(dash, 'migrate', 'up')).exitCode).toBe(0);
    const result = await run(dash, 'migrate', 'down');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Migration 2 (002-posts.sql) has no down migration');
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await tableNames(db)).toContain('posts');
  });

  it('goto moves up and down to exactly that version', async () => {
    expect((await run(updown, 'migrate', 'goto', '1')).exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1]);
    expect((await run(updown, 'migrate', 'goto', '2')).exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect((await run(updown, 'migrate', 'goto', '0')).exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([]);
    expect(await tableNames(db)).toEqual(['astra_migrations']);
  });

  it('force sets the version and clears the dirty flag without running any migration', async () => {
    const dir = join(fixturesDir, 'concurrently');
    expect((await run(dir, 'migrate', 'up', '--to', '1')).exitCode).toBe(0);
    await db.query("INSERT INTO items (code) VALUES ('code-1')");
    expect((await run(dir, 'migrate', 'up')).exitCode).toBe(1);
    expect(await db.query('SELECT 1 FROM astra_migrations WHERE dirty')).toHaveLength(1);

    const forced = await run(dir, 'migrate', 'force', '1');
    expect(forced.exitCode).toBe(0);
    expect(forced.stderr).toContain('no migration SQL was run');
    expect(await db.query('SELECT 1 FROM astra_migrations WHERE dirty')).toHaveLength(0);
    expect(await ledgerVersions(db)).toEqual([1]);

    // force to a later version records it as applied, running nothing.
    expect((await run(dir, 'migrate', 'force', '2')).exitCode).toBe(0);
    expect(await ledgerVersions(db)).toEqual([1, 2]);
    expect(await db.query("SELECT 1 FROM pg_class WHERE relname = 'items_code_key'")).toHaveLength(0);
  });
});

describe('astra migrate create', () => {
  it.each([
    ['naming-dash', ['003-add-email-index.sql']],
    ['naming-updown', ['000003_add_email_index.down.sql', '000003_add_email_index.up.sql']],
    ['naming-plain', ['1003_add_email_index.sql']],
    ['numeric-order', ['11_add_email_index.sql']],
  ])("writes the next number in the %s folder's own style", async (fixture, expected) => {
    const dir = copyFixture(fixture);
    const before = new Set(readdirSync(dir));
    const result = await astra(['--migrations-dir', dir, 'migrate', 'create', 'Add email index']);
    expect(result.exitCode).toBe(0);
    const created = readdirSync(dir)
      .filter((file) => !before.has(file))
      .sort();
    expect(created).toEqual(expected);
    expect(readFileSync(join(dir, expected[0]!), 'utf8')).toContain('--');
  });
});
