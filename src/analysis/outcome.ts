import type { MigrationAnalysis } from './analyze.js';
import { labelOf, labelViolations, type LabelledRelease, type LabelViolation } from './labels.js';
import type { Finding } from './types.js';
import type { RunnerChange } from './runner-plan.js';

/**
 * What a finding means for lint's exit code:
 * failing — breaking, and neither declared nor acknowledged;
 * declared — breaking, in a migration its release notes mark breaking;
 * allowed — breaking, acknowledged by `-- astra:allow <rule> <reason>`;
 * ok — not breaking (advice, or a blocking lock on a table known to be small).
 */
export type FindingStatus = 'failing' | 'declared' | 'allowed' | 'ok';

export interface LintFinding extends Finding {
  status: FindingStatus;
  /** The release notes that declare the migration breaking, for `declared`. */
  declaredIn?: string;
}

export interface LintOutcome {
  migrations: number;
  statements: number;
  findings: LintFinding[];
  /** Migrations labelled safe that the analysis finds breaking. */
  labelViolations: LabelViolation[];
  failing: number;
  /** Statements the runner does not run as written, or not where written, with what it runs instead. */
  runs: (RunnerChange & { file: string })[];
}

/**
 * Decides, from the analysis and the release notes that apply to it, which
 * findings fail lint. `releasesFor` gives the releases that label a migration
 * (none for files outside the migrations folder the notes describe).
 */
export function lintOutcome(analysis: readonly MigrationAnalysis[], releasesFor: (migration: MigrationAnalysis) => readonly LabelledRelease[]): LintOutcome {
  const findings: LintFinding[] = [];
  const violations: LabelViolation[] = [];
  for (const migration of analysis) {
    const releases = releasesFor(migration);
    const label = labelOf(migration.path ?? migration.file, releases);
    violations.push(...labelViolations([migration], releases));
    for (const finding of migration.findings) {
      if (finding.verdict !== 'breaking') findings.push({ ...finding, status: 'ok' });
      else if (finding.allowed !== undefined) findings.push({ ...finding, status: 'allowed' });
      else if (label?.safety === 'breaking') findings.push({ ...finding, status: 'declared', declaredIn: label.release.file });
      else findings.push({ ...finding, status: 'failing' });
    }
  }
  return {
    migrations: analysis.length,
    statements: analysis.reduce((sum, migration) => sum + migration.statements.length, 0),
    findings,
    labelViolations: violations,
    failing: findings.filter((finding) => finding.status === 'failing').length,
    runs: analysis.flatMap((migration) => migration.runs.map((change) => ({ file: migration.file, ...change }))),
  };
}
