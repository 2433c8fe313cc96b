import { describe, expect, it } from 'vitest';
import { checkBundle, formatProblem } from '../../../src/release/check.js';
import type { ReleaseNotes } from '../../../src/release/notes.js';
import { release } from './helpers.js';
import { match } from '../../helpers/matchers.js';

const FILES = ['001-a.sql', '002-b.sql', '003-c.sql', '004-d.sql', '005-e.sql'];

const sound = () => [
  release('0.1.0', ['001-a.sql', '002-b.sql']),
  release('0.2.0', ['003-c.sql']),
  release('0.10.0', ['004-d.sql', '005-e.sql'], { upgrade_from: '0.2.0' }),
];

describe('checkBundle', () => {
  it('finds nothing wrong with a sound bundle, in any order', () => {
    expect(checkBundle(sound(), FILES)).toEqual([]);
    expect(checkBundle([...sound()].reverse(), [...FILES].reverse())).toEqual([]);
  });

  it('ignores files that are not up migrations', () => {
    expect(checkBundle(sound(), [...FILES, 'README.md', '005-e.down.sql'])).toEqual([]);
  });

  it('reports a migration that belongs to no release', () => {
    expect(checkBundle(sound(), [...FILES, '006-f.sql'])).toEqual([
      { file: '006-f.sql', message: '006-f.sql belongs to no release: list it in the migrations of the release notes of the version that ships it' },
    ]);
  });

  it('reports a migration that two releases list', () => {
    const releases = [release('0.1.0', ['001-a.sql', '002-b.sql']), release('0.2.0', ['002-b.sql', '003-c.sql']), release('0.3.0', ['004-d.sql', '005-e.sql'])];
    const problems = checkBundle(releases, FILES);
    expect(problems).toContainEqual({ file: '002-b.sql', message: '002-b.sql is listed by 0.1.0 and 0.2.0: a migration belongs to exactly one release' });
  });

  it('reports a release that names a missing file', () => {
    const releases = sound();
    releases[1] = release('0.2.0', ['003-c.sql', '003-typo.sql']);
    expect(checkBundle(releases, FILES)).toEqual([
      {
        file: 'release-notes/0.2.0.md',
        field: 'migrations[1].file',
        message: 'migrations[1].file names 003-typo.sql, which is not in the migrations folder',
      },
    ]);
  });

  it('reports a release whose migrations are not all above the earlier releases', () => {
    const releases = [release('0.1.0', ['001-a.sql', '003-c.sql']), release('0.2.0', ['002-b.sql']), release('0.3.0', ['004-d.sql', '005-e.sql'])];
    expect(checkBundle(releases, FILES)).toEqual([
      {
        file: 'release-notes/0.2.0.md',
        field: 'migrations',
        message:
          '0.2.0 holds 002-b.sql, but the earlier release 0.1.0 already holds 003-c.sql: each release must hold only migrations numbered above those of earlier releases',
      },
    ]);
  });

  it('orders by number, not by name, and by version, not by name', () => {
    const files = ['9-a.sql', '10-b.sql'];
    expect(checkBundle([release('0.10.0', ['10-b.sql']), release('0.9.0', ['9-a.sql'])], files)).toEqual([]);
  });

  it('allows a release without migrations between others', () => {
    const releases = [...sound(), release('0.2.1', [])];
    expect(checkBundle(releases, FILES)).toEqual([]);
  });

  it('reports an upgrade_from that names no release', () => {
    const releases = sound();
    releases[2] = release('0.10.0', ['004-d.sql', '005-e.sql'], { upgrade_from: '0.1.5' });
    expect(checkBundle(releases, FILES)).toEqual([
      { file: 'release-notes/0.10.0.md', field: 'upgrade_from', message: 'upgrade_from names 0.1.5, which has no release notes' },
    ]);
  });

  it('reports invalid metadata field by field', () => {
    const releases = sound();
    const bad = release('0.2.0', ['003-c.sql']);
    releases[1] = { ...bad, metadata: { ...bad.metadata, migrations: [{ file: '003-c.sql', safety: 'risky' as 'safe' }] } };
    const problems = checkBundle(releases, FILES);
    expect(problems).toContainEqual({
      file: 'release-notes/0.2.0.md',
      field: 'migrations[0].safety',
      message: 'migrations[0].safety must be "safe" or "breaking" (found "risky")',
    });
    // What can be read of it still counts: its file is not reported as belonging to no release.
    expect(problems).toHaveLength(1);
  });

  it('reports a breaking migration in a release that does not stop the application', () => {
    const releases = sound();
    releases[2] = release('0.10.0', ['004-d.sql', { file: '005-e.sql', safety: 'breaking', reason: 'Drops users.api_key.' }], {
      upgrade_from: '0.2.0',
      stop_application: false,
    });
    expect(checkBundle(releases, FILES)).toEqual([
      { file: 'release-notes/0.10.0.md', field: 'stop_application', message: 'stop_application must be true: migrations[1] (005-e.sql) is breaking' },
    ]);
  });

  it('reports a file not named for its version, and two files with one version', () => {
    const releases: ReleaseNotes[] = [...sound(), release('0.2.0', [], { file: 'release-notes/0.2.0-copy.md' })];
    const problems = checkBundle(releases, FILES);
    expect(problems).toContainEqual({
      file: 'release-notes/0.2.0-copy.md',
      field: 'version',
      message: 'version is 0.2.0 but the file is named for 0.2.0-copy',
    });
    expect(problems).toContainEqual(match.objectContaining({ field: 'version', message: match.stringContaining('version 0.2.0 is also the version of') }));
  });

  it('formats a problem as one line naming the file', () => {
    expect(formatProblem({ file: '006-f.sql', message: '006-f.sql belongs to no release' })).toBe('006-f.sql: 006-f.sql belongs to no release');
  });
});
