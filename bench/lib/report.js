import { formatBytes } from '../../dist/ui/format.js';
import { renderTable } from '../../dist/ui/table.js';

export { formatBytes, renderTable };

/** 1234.5 → "1.23 s", 12.3 → "12.3 ms". */
export function formatMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** Peak resident memory, from kilobytes. */
export function formatKb(kb) {
  return kb === undefined || kb === null ? 'n/a' : formatBytes(kb * 1024);
}

/** value / baseline; undefined when either is missing or the baseline is 0 and the value is too. */
export function ratio(value, baseline) {
  if (value === undefined || value === null || baseline === undefined || baseline === null) return undefined;
  if (baseline === 0) return value === 0 ? undefined : Number.POSITIVE_INFINITY;
  return value / baseline;
}

/** 1.234 → "1.23x"; Infinity (baseline 0) → "inf (baseline 0)". */
export function formatRatio(value) {
  if (value === undefined) return 'n/a';
  if (value === Number.POSITIVE_INFINITY) return 'inf (baseline 0)';
  if (value >= 100) return `${value.toFixed(0)}x`;
  if (value >= 10) return `${value.toFixed(1)}x`;
  return `${value.toFixed(2)}x`;
}

export function formatCount(n) {
  return n === undefined || n === null ? 'n/a' : n.toLocaleString('en-US');
}

/** A titled table, for stdout. */
export function section(title, header, rows, notes = []) {
  const underline = '-'.repeat(title.length);
  return [title, underline, renderTable(header, rows), ...notes.map((note) => `  ${note}`), ''].join('\n');
}

/** Numbers kept for JSON: Infinity is not JSON, so a zero baseline becomes null with the reason beside it. */
export function jsonRatio(value) {
  return value === undefined || value === Number.POSITIVE_INFINITY ? null : Number(value.toFixed(4));
}
