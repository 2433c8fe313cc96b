import { describe, expect, it } from 'vitest';
import { renderReport, summaryLine } from '../../../src/doctor/report.js';
import type { DoctorReport } from '../../../src/doctor/types.js';

const report: DoctorReport = {
  ok: false,
  database: 'app@db:5432/app',
  summary: { ok: 1, warn: 1, fail: 1 },
  checks: [
    { id: 'connection', title: 'Connection', area: 'database', status: 'ok', detail: 'round trip 1 ms', fix: null },
    { id: 'extensions', title: 'Extensions', area: 'database', status: 'warn', detail: 'pgvector is not available', fix: 'Install pgvector.' },
    {
      id: 'invalid-indexes',
      title: 'Invalid indexes',
      area: 'schema',
      status: 'fail',
      detail: 'INVALID index public.i',
      fix: 'DROP INDEX CONCURRENTLY "public"."i";',
    },
  ],
};

describe('renderReport', () => {
  it('groups checks by area with a symbol, the fix under each one not ok, and the summary last', () => {
    expect(renderReport(report, false)).toBe(
      [
        'Health of app@db:5432/app',
        '',
        'Database',
        '  ✔ Connection       round trip 1 ms',
        '  ⚠ Extensions       pgvector is not available',
        '                     fix: Install pgvector.',
        '',
        'Schema',
        '  ✖ Invalid indexes  INVALID index public.i',
        '                     fix: DROP INDEX CONCURRENTLY "public"."i";',
        '',
        '1 ok, 1 warning, 1 failure',
      ].join('\n'),
    );
  });

  it('colours only when asked', () => {
    expect(renderReport(report, false)).not.toContain('\u001b[');
    expect(renderReport(report, true)).toContain('\u001b[31m✖\u001b[0m');
  });

  it('says counts in words', () => {
    expect(summaryLine({ ok: 12, warn: 2, fail: 0 })).toBe('12 ok, 2 warnings, 0 failures');
  });
});
