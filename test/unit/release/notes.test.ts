import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AstraError, EXIT_BAD_INPUT } from '../../../src/errors.js';
import { loadReleaseNotes } from '../../../src/release/notes.js';
import { parseReleaseNotes } from '../../../src/release/read-notes.js';
import { notesText } from './helpers.js';
import { match } from '../../helpers/matchers.js';

const GOOD = `
version: 0.9.0
date: 2026-10-01
upgrade_from: 0.5.0
stop_application: true
migrations:
  - file: 036-messages-created-at-index.sql
    safety: safe
  - file: 039-drop-deprecated-column.sql
    safety: breaking
    reason: Drops users.legacy_api_key, unused since 0.6.0; stop the application first.
`;

function thrown(run: () => unknown): AstraError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AstraError);
    return error as AstraError;
  }
  throw new Error('expected an error');
}

describe('parseReleaseNotes', () => {
  it('splits the front matter from the body and validates it', () => {
    const notes = parseReleaseNotes('release-notes/0.9.0.md', notesText(GOOD, '# Open Astra 0.9.0\n\nText.\n'));
    expect(notes.file).toBe('release-notes/0.9.0.md');
    expect(notes.metadata).toEqual({
      version: '0.9.0',
      date: '2026-10-01',
      upgrade_from: '0.5.0',
      stop_application: true,
      migrations: [
        { file: '036-messages-created-at-index.sql', safety: 'safe' },
        {
          file: '039-drop-deprecated-column.sql',
          safety: 'breaking',
          reason: 'Drops users.legacy_api_key, unused since 0.6.0; stop the application first.',
        },
      ],
    });
    expect(notes.body).toBe('# Open Astra 0.9.0\n\nText.\n');
  });

  it('accepts CRLF line ends, a byte order mark and an empty migrations list', () => {
    const text = '\uFEFF---\r\nversion: 0.2.1\r\ndate: 2026-02-01\r\nstop_application: false\r\nmigrations: []\r\n---\r\nBody\r\n';
    const notes = parseReleaseNotes('0.2.1.md', text);
    expect(notes.metadata.migrations).toEqual([]);
    expect(notes.body).toBe('Body\n');
  });

  it('rejects a file without front matter', () => {
    const error = thrown(() => parseReleaseNotes('release-notes/0.1.0.md', '# Open Astra 0.1.0\n'));
    expect(error.message).toBe('release-notes/0.1.0.md: the file does not begin with front matter (a line "---").');
    expect(error.exitCode).toBe(EXIT_BAD_INPUT);
    expect(error.fix).toBeTruthy();
  });

  it('rejects front matter that is never closed', () => {
    const error = thrown(() => parseReleaseNotes('release-notes/0.1.0.md', '---\nversion: 0.1.0\n'));
    expect(error.message).toContain('release-notes/0.1.0.md: the front matter is never closed');
  });

  it('rejects YAML that does not parse, with its line in the file', () => {
    const text = '---\nversion: 0.1.0\ndate: [2026-01-01\nstop_application: false\n---\n';
    const error = thrown(() => parseReleaseNotes('release-notes/0.1.0.md', text));
    expect(error.message).toMatch(/^release-notes\/0\.1\.0\.md: the front matter is not valid YAML at line \d+: /);
    expect(error.exitCode).toBe(EXIT_BAD_INPUT);
  });

  it('rejects a key given twice', () => {
    const text = notesText('version: 0.1.0\nversion: 0.1.1\ndate: 2026-01-01\nstop_application: false\nmigrations: []');
    expect(thrown(() => parseReleaseNotes('release-notes/0.1.0.md', text)).message).toContain('not valid YAML at line 3');
  });

  it('rejects a file whose name is not its version', () => {
    const text = notesText('version: 0.9.1\ndate: 2026-10-01\nstop_application: false\nmigrations: []');
    const error = thrown(() => parseReleaseNotes('release-notes/0.9.0.md', text));
    expect(error.message).toBe('release-notes/0.9.0.md: version is 0.9.1 but the file is named for 0.9.0.');
    expect(error.fix).toContain('0.9.1.md');
  });
});

describe('loadReleaseNotes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'astra-release-notes-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (version: string, files: string[] = []) =>
    writeFileSync(
      join(dir, `${version}.md`),
      notesText(
        `version: ${version}\ndate: 2026-01-01\nstop_application: false\nmigrations:${files.length ? '' : ' []'}\n${files
          .map((file) => `  - file: ${file}\n    safety: safe`)
          .join('\n')}`,
      ),
    );

  it('reads every .md file, sorted by version rather than by name', async () => {
    write('0.10.0', ['003-c.sql']);
    write('0.9.0', ['002-b.sql']);
    write('0.1.0', ['001-a.sql']);
    writeFileSync(join(dir, 'notes.txt'), 'not release notes');
    mkdirSync(join(dir, 'drafts'));
    const releases = await loadReleaseNotes(dir);
    expect(releases.map((notes) => notes.metadata.version)).toEqual(['0.1.0', '0.9.0', '0.10.0']);
    expect(releases[2]?.file).toBe(join(dir, '0.10.0.md'));
  });

  it('returns an empty list for an empty folder', async () => {
    expect(await loadReleaseNotes(dir)).toEqual([]);
  });

  it('stops at an invalid file, naming it', async () => {
    write('0.1.0');
    writeFileSync(join(dir, '0.2.0.md'), notesText('version: 0.2.0\ndate: 2026-01-01\nmigrations: []'));
    await expect(loadReleaseNotes(dir)).rejects.toThrow(`${join(dir, '0.2.0.md')}: stop_application is missing.`);
  });

  it('is an input error when the folder does not exist', async () => {
    const missing = join(dir, 'nope');
    await expect(loadReleaseNotes(missing)).rejects.toMatchObject({
      exitCode: EXIT_BAD_INPUT,
      message: match.stringContaining(`The release notes folder ${missing} cannot be read`),
    });
  });
});
