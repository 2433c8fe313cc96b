import { dim, green, red, yellow } from '../ui/log.js';
import { CHECK_AREAS, type CheckArea, type CheckResult, type CheckStatus, type DoctorReport } from './types.js';

const AREA_TITLES: Record<CheckArea, string> = {
  database: 'Database',
  schema: 'Schema',
  tools: 'Client tools',
  backups: 'Backups',
  application: 'Application',
};

const SYMBOLS: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', fail: '✖' };
const PAINT: Record<CheckStatus, (on: boolean, text: string) => string> = { ok: green, warn: yellow, fail: red };

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** "12 ok, 2 warnings, 0 failures" */
export function summaryLine(summary: DoctorReport['summary']): string {
  return `${summary.ok} ok, ${plural(summary.warn, 'warning', 'warnings')}, ${plural(summary.fail, 'failure', 'failures')}`;
}

/** The report as a person reads it: checks grouped by area, a fix under each one that is not ok, a summary last. */
export function renderReport(report: DoctorReport, color: boolean): string {
  const width = Math.max(...report.checks.map((check) => check.title.length));
  const lines = [`Health of ${report.database}`];
  for (const area of CHECK_AREAS) {
    const checks = report.checks.filter((check) => check.area === area);
    if (checks.length === 0) continue;
    lines.push('', AREA_TITLES[area]);
    for (const check of checks) lines.push(...renderCheck(check, width, color));
  }
  lines.push('', summaryLine(report.summary));
  return lines.join('\n');
}

function renderCheck(check: CheckResult, width: number, color: boolean): string[] {
  const symbol = PAINT[check.status](color, SYMBOLS[check.status]);
  const lines = [`  ${symbol} ${check.title.padEnd(width)}  ${check.detail}`];
  if (check.fix) lines.push(`    ${' '.repeat(width)}  ${dim(color, `fix: ${check.fix}`)}`);
  return lines;
}
