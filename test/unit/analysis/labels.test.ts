import { describe, expect, it } from 'vitest';
import { labelViolations, type LabelledRelease } from '../../../src/analysis/labels.js';
import { analyzeSql } from './helpers.js';

const release = (migrations: LabelledRelease['metadata']['migrations']): LabelledRelease => ({
  file: 'release-notes/0.9.0.md',
  metadata: { version: '0.9.0', migrations },
});

describe('labelViolations', () => {
  const breaking = { ...analyzeSql('ALTER TABLE accounts RENAME COLUMN name TO full_name;'), file: 'migrations/036-rename.sql' };

  it('names the release, the migration, the line, the statement and the rule of a safe label that is wrong', () => {
    const [violation, ...rest] = labelViolations([breaking], [release([{ file: '036-rename.sql', safety: 'safe' }])]);
    expect(rest).toEqual([]);
    expect(violation).toMatchObject({ release: 'release-notes/0.9.0.md', version: '0.9.0', migration: '036-rename.sql' });
    expect(violation!.message).toBe(
      `release-notes/0.9.0.md labels 036-rename.sql safe, but line 1 (ALTER TABLE accounts RENAME COLUMN name TO full_name) is breaking by rule rename-column: ${breaking.findings[0]!.message}`,
    );
  });

  it('accepts a breaking label, an unlisted migration, and an acknowledged finding', () => {
    expect(labelViolations([breaking], [release([{ file: '036-rename.sql', safety: 'breaking', reason: 'renames a column' }])])).toEqual([]);
    expect(labelViolations([breaking], [release([{ file: '037-other.sql', safety: 'safe' }])])).toEqual([]);
    const acknowledged = {
      ...analyzeSql('-- astra:allow rename-column no version reads it\nALTER TABLE accounts RENAME COLUMN name TO full_name;'),
      file: '036-rename.sql',
    };
    expect(labelViolations([acknowledged], [release([{ file: '036-rename.sql', safety: 'safe' }])])).toEqual([]);
  });

  it('accepts a safe label on a safe migration', () => {
    const safe = { ...analyzeSql('ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text;'), file: '036-note.sql' };
    expect(labelViolations([safe], [release([{ file: '036-note.sql', safety: 'safe' }])])).toEqual([]);
  });
});
