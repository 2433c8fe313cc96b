import { describe, expect, it } from 'vitest';
import { newestFirst, parseManifest } from '../../../src/backup/manifest.js';
import { manifestWith } from './helpers.js';

/** The problem of a manifest that failed to parse; undefined when it parsed. */
function problemOf(result: ReturnType<typeof parseManifest>): string | undefined {
  return result.ok ? undefined : result.problem;
}

describe('parseManifest', () => {
  it('accepts a manifest and keeps fields it does not know', () => {
    const result = parseManifest({ ...manifestWith(), laterField: 'kept' });
    expect(result.ok).toBe(true);
    if (result.ok) expect((result.manifest as Record<string, unknown>).laterField).toBe('kept');
  });

  it('names the field that is wrong', () => {
    expect(problemOf(parseManifest({ ...manifestWith(), serverVersionNum: null }))).toContain('serverVersionNum');
  });

  it.each(['../..', '/etc', '20261102T143015Z-a1b2c3.dir', 'other.dump', '20261102T143015Z-a1b2c3.dump/../..'])(
    'refuses the archive name %s for a custom backup',
    (archive) => {
      expect(problemOf(parseManifest({ ...manifestWith(), archive }))).toContain('archive: must be the backup id followed by .dump');
    },
  );

  it('accepts <id>.dir for a directory backup, and refuses an id that is not a backup id', () => {
    expect(parseManifest({ ...manifestWith(), format: 'directory', archive: '20261102T143015Z-a1b2c3.dir' }).ok).toBe(true);
    expect(problemOf(parseManifest({ ...manifestWith(), id: '..', archive: '...dump' }))).toContain('id: is not a backup id');
  });

  it('refuses a checksum that is not a sha256', () => {
    expect(parseManifest({ ...manifestWith(), sha256: 'abc' }).ok).toBe(false);
  });
});

describe('newestFirst', () => {
  it('orders by creation time, then by id', () => {
    const older = manifestWith({ id: '20260101T000000Z-000001', createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = manifestWith({ id: '20260102T000000Z-000001', createdAt: '2026-01-02T00:00:00.000Z' });
    const sameTime = manifestWith({ id: '20260102T000000Z-ffffff', createdAt: '2026-01-02T00:00:00.000Z' });
    expect(newestFirst([older, newer, sameTime]).map((manifest) => manifest.id)).toEqual([sameTime.id, newer.id, older.id]);
  });
});
