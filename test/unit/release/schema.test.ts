import { describe, expect, it } from 'vitest';
import { AstraError, EXIT_BAD_INPUT } from '../../../src/errors.js';
import { parseReleaseNotes } from '../../../src/release/read-notes.js';
import { fieldPath } from '../../../src/schema-messages.js';
import { notesText } from './helpers.js';

const FILE = 'release-notes/0.3.0.md';

/** Front matter of a valid 0.3.0 with one line replaced or removed. */
function frontMatter(changes: Record<string, string | null>): string {
  const lines: Record<string, string> = {
    version: 'version: 0.3.0',
    date: 'date: 2026-03-09',
    stop_application: 'stop_application: false',
    migrations: ['migrations:', '  - file: 013-advanced-features.sql', '    safety: safe', '  - file: 014-team-features.sql', '    safety: safe'].join('\n'),
  };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete lines[key];
    else lines[key] = value;
  }
  return Object.values(lines).join('\n');
}

function errorFor(changes: Record<string, string | null>): AstraError {
  try {
    parseReleaseNotes(FILE, notesText(frontMatter(changes)));
  } catch (error) {
    expect(error).toBeInstanceOf(AstraError);
    expect((error as AstraError).exitCode).toBe(EXIT_BAD_INPUT);
    return error as AstraError;
  }
  throw new Error('expected the front matter to be rejected');
}

const migrations = (...entries: string[]) => ['migrations:', ...entries].join('\n');

describe('release metadata schema', () => {
  it('accepts the valid fixture', () => {
    expect(parseReleaseNotes(FILE, notesText(frontMatter({}))).metadata.version).toBe('0.3.0');
  });

  const cases: [string, Record<string, string | null>, string][] = [
    ['a missing version', { version: null }, 'version is missing'],
    [
      'a version YAML reads as a number',
      { version: 'version: 1.0' },
      'version must be a version such as "0.9.0"; quote it if YAML reads it as a number (found number 1)',
    ],
    ['a version with a "v"', { version: 'version: v0.3.0' }, 'version must be a version such as "0.9.0" (major.minor.patch, no "v")'],
    ['a missing date', { date: null }, 'date is missing'],
    ['a date in another format', { date: 'date: 09/03/2026' }, 'date must be a date such as 2026-10-01 (YYYY-MM-DD)'],
    ['a date that does not exist', { date: 'date: 2026-02-30' }, 'date must be a date such as 2026-10-01 (YYYY-MM-DD)'],
    ['a missing stop_application', { stop_application: null }, 'stop_application is missing'],
    ['a stop_application that is not a boolean', { stop_application: 'stop_application: maybe' }, 'stop_application must be true or false (found "maybe")'],
    ['a missing migrations list', { migrations: null }, 'migrations is missing'],
    [
      'migrations that are not a list',
      { migrations: 'migrations: 013-advanced-features.sql' },
      'migrations must be a list of { file, safety } entries ([] for none) (found "013-advanced-features.sql")',
    ],
    [
      'an entry that is not a mapping',
      { migrations: migrations('  - 013-advanced-features.sql') },
      'migrations[0] must be a mapping of fields (found "013-advanced-features.sql")',
    ],
    ['an entry without a file', { migrations: migrations('  - safety: safe') }, 'migrations[0].file is missing'],
    [
      'a file given as a path',
      { migrations: migrations('  - file: migrations/013-advanced-features.sql', '    safety: safe') },
      'migrations[0].file must be the name (not a path) of an up migration file, such as 036-add-index.sql',
    ],
    [
      'a file that follows no naming scheme',
      { migrations: migrations('  - file: advanced.sql', '    safety: safe') },
      'migrations[0].file must be the name (not a path) of an up migration file',
    ],
    [
      'a down migration',
      { migrations: migrations('  - file: 000013_advanced.down.sql', '    safety: safe') },
      'migrations[0].file must be the name (not a path) of an up migration file',
    ],
    [
      'a safety that is neither safe nor breaking',
      { migrations: migrations('  - file: 013-advanced-features.sql', '    safety: safe', '  - file: 014-team-features.sql', '    safety: risky') },
      'migrations[1].safety must be "safe" or "breaking" (found "risky")',
    ],
    ['a missing safety', { migrations: migrations('  - file: 013-advanced-features.sql') }, 'migrations[0].safety is missing'],
    [
      'a breaking migration without a reason',
      { stop_application: 'stop_application: true', migrations: migrations('  - file: 013-advanced-features.sql', '    safety: breaking') },
      'migrations[0].reason is required when safety is "breaking"',
    ],
    [
      'an empty reason',
      { stop_application: 'stop_application: true', migrations: migrations('  - file: 013-advanced-features.sql', '    safety: breaking', '    reason: "  "') },
      'migrations[0].reason must not be empty',
    ],
    [
      'a breaking migration in a release that keeps the application running',
      { migrations: migrations('  - file: 013-advanced-features.sql', '    safety: breaking', '    reason: Drops a column.') },
      'stop_application must be true: migrations[0] (013-advanced-features.sql) is breaking',
    ],
    [
      'an upgrade_from that is not earlier',
      { date: 'date: 2026-03-09\nupgrade_from: 0.3.0' },
      'upgrade_from must be a version earlier than 0.3.0 (found 0.3.0)',
    ],
    [
      'an upgrade_from that is not a version',
      { date: 'date: 2026-03-09\nupgrade_from: latest' },
      'upgrade_from must be a version such as "0.9.0" (major.minor.patch, no "v")',
    ],
    [
      'a file listed twice',
      { migrations: migrations('  - file: 013-advanced-features.sql', '    safety: safe', '  - file: 013-advanced-features.sql', '    safety: safe') },
      'migrations[1].file names 013-advanced-features.sql a second time (it is already migrations[0])',
    ],
    [
      'an unknown field',
      { date: 'date: 2026-03-09\nstop_aplication: true' },
      'the front matter has an unknown field "stop_aplication" (allowed: version, date, upgrade_from, stop_application, migrations, seeds)',
    ],
    [
      'an unknown field in an entry',
      { migrations: migrations('  - file: 013-advanced-features.sql', '    safety: safe', '    reson: typo') },
      'migrations[0] has an unknown field "reson" (allowed: file, safety, reason)',
    ],
  ];

  it.each(cases)('names the file and the field for %s', (_name, changes, expected) => {
    const error = errorFor(changes);
    expect(error.message).toContain(`${FILE}: `);
    expect(error.message).toContain(expected);
    expect(error.fix).toContain('docs/release-notes.md');
  });

  it('reports every problem of a file in one error', () => {
    const error = errorFor({ version: null, date: 'date: soon' });
    expect(error.message).toBe(`${FILE}: version is missing; date must be a date such as 2026-10-01 (YYYY-MM-DD).`);
  });

  it('rejects front matter that is not a mapping', () => {
    expect(() => parseReleaseNotes(FILE, notesText('- just\n- a list'))).toThrow(`${FILE}: the front matter must be a mapping of fields (found a list).`);
    expect(() => parseReleaseNotes(FILE, '---\n---\nbody')).toThrow(`${FILE}: the front matter is empty.`);
  });
});

describe('fieldPath', () => {
  it('writes list indexes in brackets', () => {
    expect(fieldPath(['migrations', 1, 'safety'])).toBe('migrations[1].safety');
    expect(fieldPath(['version'])).toBe('version');
    expect(fieldPath([])).toBe('');
  });
});
