import type { LintFinding, LintOutcome } from './outcome.js';
import { RULES } from './registry.js';

/** Rules whose findings are advice: they never fail lint. */
const ADVICE = new Set(RULES.filter((rule) => rule.advice).map((rule) => rule.id));

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function statusLabel(finding: LintFinding): string {
  switch (finding.status) {
    case 'failing':
      return 'breaking';
    case 'declared':
      return `breaking, declared in ${finding.declaredIn}`;
    case 'allowed':
      return `breaking, allowed: ${finding.allowed}`;
    case 'ok':
      return ADVICE.has(finding.rule) ? 'advice' : 'safe';
  }
}

function lockLine(finding: LintFinding): string | undefined {
  if (!finding.table || (!finding.lock && finding.blocks === 'none')) return undefined;
  const blocks = finding.blocks === 'none' ? 'blocks neither reads nor writes' : `blocks ${finding.blocks.replace('+', ' and ')}`;
  const work = finding.rewrite ? ', rewrites the table' : finding.scan ? ', reads every row' : '';
  // No lock on the table itself: what it waits for is locked (one of its indexes, its partitioned table).
  const lock = finding.lock ? `${finding.lock} on ${finding.table}` : `no lock on ${finding.table} itself`;
  return `${lock} (${blocks}${work})`;
}

/** The human report of `astra lint`: each finding with where, what, why and what instead, then a summary. */
export function renderLintReport(outcome: LintOutcome): string {
  const lines: string[] = [];
  for (const finding of outcome.findings) {
    lines.push(`${finding.file}:${finding.line}  ${finding.rule}  [${statusLabel(finding)}]`);
    lines.push(`  ${oneLine(finding.statement, 100)}`);
    const lock = lockLine(finding);
    if (lock) lines.push(`  lock: ${lock}`);
    lines.push(`  problem: ${finding.message}`);
    lines.push(`  fix: ${finding.fix}`);
    lines.push('');
  }
  for (const violation of outcome.labelViolations) lines.push(`label: ${violation.message}`, '');
  if (outcome.runs.length > 0) {
    lines.push('How astra runs the statements it does not run as written:');
    for (const change of outcome.runs) {
      lines.push(`${change.file}:${change.line}  ${oneLine(change.written, 100)}`, `  runs ${change.where}:`);
      for (const sql of change.runs) lines.push(`    ${oneLine(sql, 120)}`);
    }
    lines.push('');
  }
  lines.push(summary(outcome));
  return lines.join('\n');
}

export function summary(outcome: LintOutcome): string {
  const count = (status: LintFinding['status']) => outcome.findings.filter((finding) => finding.status === status).length;
  const parts = [
    `${count('failing')} failing`,
    `${count('declared')} declared breaking in release notes`,
    `${count('allowed')} allowed by -- astra:allow`,
    `${count('ok')} advice or safe`,
  ];
  const mislabelled = outcome.labelViolations.length > 0 ? `; ${outcome.labelViolations.length} migration(s) labelled safe are breaking` : '';
  return `Linted ${outcome.migrations} migration(s), ${outcome.statements} statement(s): ${parts.join(', ')}${mislabelled}.`;
}
