import { describe, expect, it } from 'vitest';
import { backupHoldsMigrations, backupsOfRelease, migrationVersionsOfRelease } from '../../../src/rollback/release-backups.js';
import { AstraError } from '../../../src/errors.js';
import { manifestWith, thrownBy } from '../backup/helpers.js';

const release = (version: string, files: string[]) => ({ metadata: { version, migrations: files.map((file) => ({ file })) } });
const releases = [release('1.10.0', ['004-d.sql']), release('1.0.0', ['001-a.sql', '002-b.sql']), release('1.2.0', ['003-c.sql']), release('1.3.0', [])];

describe('migrationVersionsOfRelease', () => {
  it('gathers the migrations of every release up to the version, by semver order', () => {
    expect(migrationVersionsOfRelease(releases, '1.0.0')).toEqual([1, 2]);
    expect(migrationVersionsOfRelease(releases, '1.3.0')).toEqual([1, 2, 3]);
    expect(migrationVersionsOfRelease(releases, '1.10.0')).toEqual([1, 2, 3, 4]);
  });

  it('refuses an unknown version as bad input, naming the known ones', () => {
    const error = thrownBy(() => migrationVersionsOfRelease(releases, '9.9.9'));
    expect(error).toBeInstanceOf(AstraError);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as AstraError).fix).toContain('1.0.0, 1.2.0, 1.3.0, 1.10.0');
  });
});

describe('backupsOfRelease', () => {
  const atOne = manifestWith({ id: 'b1', appliedMigrations: [1, 2] });
  const atTwo = manifestWith({ id: 'b2', appliedMigrations: [1, 2, 3] });
  const partial = manifestWith({ id: 'b3', appliedMigrations: [1] });
  const otherDatabase = manifestWith({ id: 'b4', appliedMigrations: [1, 2], database: { name: 'crm', host: 'h', port: 1, user: 'u' } });

  it('picks the backups whose migrations are exactly those of the release, of this database', () => {
    expect(backupsOfRelease([atTwo, atOne, partial, otherDatabase], releases, '1.0.0', 'shop').map((manifest) => manifest.id)).toEqual(['b1']);
    expect(backupsOfRelease([atTwo, atOne], releases, '1.3.0', 'shop').map((manifest) => manifest.id)).toEqual(['b2']);
  });

  it('matches regardless of order and repetition', () => {
    expect(backupHoldsMigrations({ appliedMigrations: [2, 1, 2] }, [1, 2])).toBe(true);
    expect(backupHoldsMigrations({ appliedMigrations: [] }, [1])).toBe(false);
  });
});
