import { basename } from 'node:path';
import type { MigrationAnalysis } from './analyze.js';
import type { Finding } from './types.js';

/** What labelViolations needs of a release: the shape of src/release's ReleaseNotes. */
export interface LabelledRelease {
  /** The release notes file, for messages. */
  file: string;
  metadata: {
    version: string;
    migrations: readonly { file: string; safety: 'safe' | 'breaking'; reason?: string | undefined }[];
  };
}

/** A migration whose release notes call it safe while the analysis finds it breaking. */
export interface LabelViolation {
  release: string;
  version: string;
  migration: string;
  /** The breaking findings no `-- astra:allow` acknowledges. */
  findings: Finding[];
  /** One sentence naming the release, the migration, the statement and the rule. */
  message: string;
}

/** The label a release gives a migration file (by its name), when one does. */
export function labelOf(file: string, releases: readonly LabelledRelease[]): { release: LabelledRelease; safety: 'safe' | 'breaking' } | undefined {
  const name = basename(file);
  for (const release of releases) {
    const entry = release.metadata.migrations.find((migration) => migration.file === name);
    if (entry) return { release, safety: entry.safety };
  }
  return undefined;
}

/**
 * Migrations labelled `safe` in their release notes whose analysis finds a
 * breaking statement that no `-- astra:allow` comment acknowledges. Pure: the
 * upgrade preflight calls it with the analysis of the pending migrations.
 */
export function labelViolations(analysis: readonly MigrationAnalysis[], releases: readonly LabelledRelease[]): LabelViolation[] {
  return analysis.flatMap((migration) => {
    const label = labelOf(migration.file, releases);
    if (!label || label.safety !== 'safe') return [];
    const findings = migration.findings.filter((finding) => finding.verdict === 'breaking' && finding.allowed === undefined);
    if (findings.length === 0) return [];
    const first = findings[0]!;
    const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
    return [
      {
        release: label.release.file,
        version: label.release.metadata.version,
        migration: basename(migration.file),
        findings,
        message: `${label.release.file} labels ${basename(migration.file)} safe, but line ${first.line} (${oneLine(first.statement)}) is breaking by rule ${first.rule}${more}: ${first.message}`,
      },
    ];
  });
}

function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
