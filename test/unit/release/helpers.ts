import type { ReleaseNotes } from '../../../src/release/notes.js';
import type { ReleaseMigration } from '../../../src/release/schema.js';

/** An in-memory release: `release('0.2.0', ['003-a.sql'])`, safe migrations unless given as objects. */
export function release(
  version: string,
  migrations: (string | ReleaseMigration)[],
  extra: { upgrade_from?: string; stop_application?: boolean; file?: string } = {},
): ReleaseNotes {
  const entries = migrations.map((entry): ReleaseMigration => (typeof entry === 'string' ? { file: entry, safety: 'safe' } : entry));
  return {
    file: extra.file ?? `release-notes/${version}.md`,
    metadata: {
      version,
      date: '2026-01-01',
      stop_application: extra.stop_application ?? entries.some((entry) => entry.safety === 'breaking'),
      migrations: entries,
      ...(extra.upgrade_from ? { upgrade_from: extra.upgrade_from } : {}),
    },
    body: '',
  };
}

/** A release notes file as text, from front matter lines. */
export function notesText(frontMatter: string, body = "# Notes\n\n## What's new\n\nThings.\n"): string {
  return `---\n${frontMatter.trim()}\n---\n\n${body}`;
}
