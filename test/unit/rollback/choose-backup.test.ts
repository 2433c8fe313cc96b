import { describe, expect, it } from 'vitest';
import { firstVerifiedBackup } from '../../../src/rollback/choose-backup.js';
import { manifestWith } from '../backup/helpers.js';

const newer = manifestWith({ id: '20261103T000000Z-000002', archive: '20261103T000000Z-000002.dump', createdAt: '2026-11-03T00:00:00.000Z' });
const older = manifestWith({ id: '20261102T000000Z-000001', archive: '20261102T000000Z-000001.dump', createdAt: '2026-11-02T00:00:00.000Z' });

describe('firstVerifiedBackup', () => {
  it('takes the newest when it passes, without checking the older ones', async () => {
    const checked: string[] = [];
    const choice = await firstVerifiedBackup([newer, older], (manifest) => (checked.push(manifest.id), Promise.resolve([])));
    expect(choice).toEqual({ chosen: newer, rejected: [] });
    expect(checked).toEqual([newer.id]);
  });

  it('falls back to the next older one when the newest fails, naming what failed', async () => {
    const choice = await firstVerifiedBackup([newer, older], (manifest) => Promise.resolve(manifest === newer ? ['checksum: differs'] : []));
    expect(choice).toEqual({ chosen: older, rejected: [{ manifest: newer, problems: ['checksum: differs'] }] });
  });

  it('chooses none when none passes', async () => {
    const choice = await firstVerifiedBackup([newer, older], () => Promise.resolve(['archive: unreadable']));
    expect(choice.chosen).toBeUndefined();
    expect(choice.rejected.map((entry) => entry.manifest.id)).toEqual([newer.id, older.id]);
  });
});
