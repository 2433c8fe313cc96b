import { describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT } from '../../../src/errors.js';
import { databaseVersion, releasesBetween, requiredStops, unknownMigrations } from '../../../src/release/versions.js';
import { release } from './helpers.js';

const releases = [
  release('0.10.0', ['010-j.sql'], { upgrade_from: '0.9.0' }),
  release('0.1.0', ['001-a.sql', '002-b.sql']),
  release('0.2.0', ['003-c.sql']),
  release('0.3.0', []),
  release('0.4.0', ['004-d.sql']),
  release('0.5.0', ['005-e.sql']),
  release('0.6.0', ['006-f.sql']),
  release('0.7.0', ['007-g.sql'], { upgrade_from: '0.5.0' }),
  release('0.8.0', ['008-h.sql']),
  release('0.9.0', ['009-i.sql'], { upgrade_from: '0.5.0' }),
];
const versions = (list: { metadata: { version: string } }[]) => list.map((entry) => entry.metadata.version);

describe('databaseVersion', () => {
  it('is null for a database with nothing applied, or an incomplete first release', () => {
    expect(databaseVersion(releases, [])).toBeNull();
    expect(databaseVersion(releases, ['001-a.sql'])).toBeNull();
  });

  it('is the highest release whose migrations, and all before it, are applied', () => {
    expect(databaseVersion(releases, ['001-a.sql', '002-b.sql'])).toBe('0.1.0');
    expect(databaseVersion(releases, ['001-a.sql', '002-b.sql', '003-c.sql', '004-d.sql', '005-e.sql'])).toBe('0.5.0');
  });

  it('counts a release without migrations once everything before it is applied', () => {
    expect(databaseVersion(releases, ['001-a.sql', '002-b.sql', '003-c.sql'])).toBe('0.3.0');
  });

  it('stops at the first incomplete release even when later ones are applied', () => {
    expect(databaseVersion(releases, ['001-a.sql', '002-b.sql', '004-d.sql'])).toBe('0.1.0');
  });

  it('compares versions as versions (0.10.0 after 0.9.0)', () => {
    const all = releases.flatMap((entry) => entry.metadata.migrations.map((migration) => migration.file));
    expect(databaseVersion(releases, all)).toBe('0.10.0');
  });
});

describe('unknownMigrations', () => {
  it('lists applied migrations that no release names', () => {
    expect(unknownMigrations(releases, ['001-a.sql', '011-k.sql', '012-l.sql', '011-k.sql'])).toEqual(['011-k.sql', '012-l.sql']);
    expect(unknownMigrations(releases, ['001-a.sql'])).toEqual([]);
  });
});

describe('releasesBetween', () => {
  it('lists the releases after from, up to and including to, in version order', () => {
    expect(versions(releasesBetween(releases, '0.8.0', '0.10.0'))).toEqual(['0.9.0', '0.10.0']);
    expect(versions(releasesBetween(releases, null, '0.2.0'))).toEqual(['0.1.0', '0.2.0']);
  });

  it('is empty when to is not later than from', () => {
    expect(releasesBetween(releases, '0.5.0', '0.5.0')).toEqual([]);
    expect(releasesBetween(releases, '0.6.0', '0.2.0')).toEqual([]);
  });

  it('throws an input error for an unknown version', () => {
    expect(() => releasesBetween(releases, null, '0.11.0')).toThrow('There are no release notes for the target version 0.11.0.');
    // vitest types toThrow() without the asymmetric matchers it accepts at run time, so the matcher's `any` is the honest type here.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
    expect(() => releasesBetween(releases, '0.0.9', '0.2.0')).toThrow(expect.objectContaining({ exitCode: EXIT_BAD_INPUT }));
  });
});

describe('requiredStops', () => {
  it('goes straight to the target when no upgrade_from is skipped', () => {
    expect(requiredStops(releases, '0.1.0', '0.6.0')).toEqual(['0.6.0']);
    expect(requiredStops(releases, '0.9.0', '0.10.0')).toEqual(['0.10.0']);
    expect(requiredStops(releases, '0.5.0', '0.9.0')).toEqual(['0.9.0']);
  });

  it('stops at the upgrade_from of a release the jump passes', () => {
    // 0.7.0 needs 0.5.0 even though the target is 0.8.0.
    expect(requiredStops(releases, '0.2.0', '0.8.0')).toEqual(['0.5.0', '0.8.0']);
  });

  it('chains stops', () => {
    expect(requiredStops(releases, '0.1.0', '0.10.0')).toEqual(['0.5.0', '0.9.0', '0.10.0']);
    expect(requiredStops(releases, '0.6.0', '0.10.0')).toEqual(['0.9.0', '0.10.0']);
  });

  it('takes no stops for a fresh install', () => {
    expect(requiredStops(releases, null, '0.10.0')).toEqual(['0.10.0']);
  });

  it('is empty when there is nothing to upgrade', () => {
    expect(requiredStops(releases, '0.10.0', '0.10.0')).toEqual([]);
    expect(requiredStops(releases, '0.10.0', '0.2.0')).toEqual([]);
  });

  it('throws an input error when an upgrade_from names no release', () => {
    const broken = [release('0.1.0', ['001-a.sql']), release('0.3.0', ['002-b.sql'], { upgrade_from: '0.2.0' })];
    expect(() => requiredStops(broken, '0.1.0', '0.3.0')).toThrow('There are no release notes for the upgrade_from version 0.2.0.');
  });
});
