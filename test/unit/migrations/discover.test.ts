import { describe, expect, it } from 'vitest';
import { discoverMigrations, discoverRepeatables, nextMigrationFiles, parseMigrationFileName } from '../../../src/migrations/discover.js';

describe('parseMigrationFileName', () => {
  it.each([
    ['001-schema-migrations.sql', { version: 1, name: 'schema-migrations', direction: 'up', style: 'dash' }],
    ['000017_add_user_preferences.up.sql', { version: 17, name: 'add_user_preferences', direction: 'up', style: 'updown' }],
    ['000017_add_user_preferences.down.sql', { version: 17, name: 'add_user_preferences', direction: 'down', style: 'updown' }],
    ['1007_subscriptions_razorpay_billing_leads.sql', { version: 1007, name: 'subscriptions_razorpay_billing_leads', direction: 'up', style: 'plain' }],
    ['20240101120000_timestamped.sql', { version: 20240101120000, name: 'timestamped', style: 'plain' }],
  ])('reads %s', (file, expected) => {
    expect(parseMigrationFileName(file)).toMatchObject(expected);
  });

  it.each(['add_users.sql', '001-.sql', 'R__views.sql', 'V1.123456789012345678901__too_long.sql', '001-users.txt', '99999999999999999999_huge.sql'])('refuses %s', (file) => {
    expect(parseMigrationFileName(file)).toBeUndefined();
  });
});

describe('discoverMigrations', () => {
  it('orders by number, not by string', () => {
    const found = discoverMigrations(['10_b.sql', '9_a.sql', '100_c.sql', 'README.md'], 'm');
    expect(found.map((migration) => migration.version)).toEqual([9, 10, 100]);
  });

  it('pairs up and down files', () => {
    const [first] = discoverMigrations(['000001_a.up.sql', '000001_a.down.sql'], 'm');
    expect(first).toMatchObject({ file: '000001_a.up.sql', downFile: '000001_a.down.sql' });
  });

  it('reports every problem at once as an input error', () => {
    try {
      discoverMigrations(['001-a.sql', '001-b.sql', 'oops.sql', '000005_x.down.sql'], 'migrations');
      expect.unreachable();
    } catch (error) {
      const e = error as { exitCode: number; message: string };
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('4 problems');
      expect(e.message).toContain('001-a.sql and 000005_x.down.sql follow different naming conventions');
      expect(e.message).toContain('001-a.sql and 001-b.sql both have version 1');
      expect(e.message).toContain('oops.sql: the name follows no migration naming scheme');
      expect(e.message).toContain('000005_x.down.sql: a down migration without its up migration');
    }
  });
});

describe('nextMigrationFiles', () => {
  it('with a range (one database of a shared folder), numbers within that range, in the folder style', () => {
    const shared = discoverMigrations(['1001_a.sql', '1002_b.sql', '2001_c.sql'], 'm');
    expect(nextMigrationFiles(shared, 'next', { from: 1001, to: 1099 })).toEqual({ up: '1003_next.sql' });
    expect(nextMigrationFiles(shared, 'next', { from: 2001, to: 2099 })).toEqual({ up: '2002_next.sql' });
    expect(nextMigrationFiles(shared, 'first', { from: 3001, to: 3099 })).toEqual({ up: '3001_first.sql' });
    expect(() => nextMigrationFiles(discoverMigrations(['1001_a.sql'], 'm'), 'x', { from: 1000, to: 1001 })).toThrow('The range 1000–1001 of this database is full');
  });

  it('starts an empty folder in golang-migrate style with a down file', () => {
    expect(nextMigrationFiles([], 'Create users')).toEqual({ up: '000001_create_users.up.sql', down: '000001_create_users.down.sql' });
  });

  it('keeps padding and style', () => {
    expect(nextMigrationFiles(discoverMigrations(['035-linear-channel.sql'], 'm'), 'add index')).toEqual({ up: '036-add-index.sql' });
    expect(nextMigrationFiles(discoverMigrations(['000008_ivfflat_index.up.sql'], 'm'), 'x')).toEqual({ up: '000009_x.up.sql' });
    expect(nextMigrationFiles(discoverMigrations(['1007_a.sql'], 'm'), 'b')).toEqual({ up: '1008_b.sql' });
  });

  it('refuses a name with nothing usable in it', () => {
    expect(() => nextMigrationFiles([], '!!!')).toThrow(/not a usable migration name/);
  });
});

describe('Flyway names', () => {
  it('reads V<N>__ as up and U<N>__ as its undo, and creates the next in kind', () => {
    const found = discoverMigrations(['V2__add_email.sql', 'V1__create_users.sql', 'U2__add_email.sql'], 'm');
    expect(found).toMatchObject([
      { version: 1, name: 'create_users', style: 'flyway' },
      { version: 2, file: 'V2__add_email.sql', downFile: 'U2__add_email.sql' },
    ]);
    expect(nextMigrationFiles(found, 'add bio')).toEqual({ up: 'V3__add_bio.sql', down: 'U3__add_bio.sql' });
  });

  it('orders dotted versions part by part as numbers, keeps repeatable migrations apart, and reads 2_1 as 2.1', () => {
    const names = ['V1.10__d.sql', 'V2__e.sql', 'V1__a.sql', 'V1.9__c.sql', 'V1.1__b.sql', 'V2_1__f.sql', 'R__views.sql'];
    expect(discoverMigrations(names, 'm').map((migration) => migration.version)).toEqual([1, '1.1', '1.9', '1.10', 2, '2.1']);
    expect(discoverRepeatables(names)).toEqual([{ name: 'views', file: 'R__views.sql' }]);
  });

  it('refuses two files of one version (1.0 is 1), a part too long, and repeatable migrations beside another convention', () => {
    let message = '';
    try {
      discoverMigrations(['V1__a.sql', 'V1.0__b.sql', 'V2.123456789012345678901__c.sql', 'R__views.sql', '002_c.sql'], 'm');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('V1.0__b.sql and V1__a.sql both have version 1');
    expect(message).toContain('V2.123456789012345678901__c.sql: the version 2.123456789012345678901 has a part too long');
    expect(message).toContain('V1.0__b.sql and 002_c.sql follow different naming conventions');
    expect(message).toContain('R__views.sql is a Flyway repeatable migration, and 002_c.sql follows another naming convention');
  });

  it('creates the next whole version after a dotted one', () => {
    expect(nextMigrationFiles(discoverMigrations(['V1__a.sql', 'V1.1__b.sql'], 'm'), 'add bio')).toEqual({ up: 'V2__add_bio.sql' });
  });
});

describe('names that are only a number, and timestamps', () => {
  it('reads 000001.sql and 42.sql, ordered by number', () => {
    expect(discoverMigrations(['42.sql', '000001.sql', '7.sql'], 'm').map((migration) => [migration.version, migration.style])).toEqual([
      [1, 'number'],
      [7, 'number'],
      [42, 'number'],
    ]);
  });

  it('creates the next number-only file, and a timestamp in a folder of timestamps', () => {
    expect(nextMigrationFiles(discoverMigrations(['0001.sql'], 'm'), 'add_x')).toEqual({ up: '0002.sql' });
    const before = Number(new Date().toISOString().replace(/\D/g, '').slice(0, 14));
    const next = nextMigrationFiles(discoverMigrations(['20200101000000_first.sql'], 'm'), 'add_x').up;
    expect(next).toMatch(/^20\d{12}_add_x\.sql$/);
    // Now, not one past the last: a timestamp folder gets the time the file was written.
    expect(Number(next.slice(0, 14))).toBeGreaterThanOrEqual(before);
    // A last version in the future is passed by one.
    expect(nextMigrationFiles(discoverMigrations(['29990101000000_first.sql'], 'm'), 'add_x').up).toBe('29990101000001_add_x.sql');
  });
});
