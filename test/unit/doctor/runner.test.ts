import { describe, expect, it } from 'vitest';
import { runDoctor, summarize } from '../../../src/doctor/runner.js';
import type { DoctorCheck } from '../../../src/doctor/types.js';
import type { ConnectionTarget } from '../../../src/db/connection.js';

// Port 1 on the loopback: nothing listens there, so connecting is refused at once.
const unreachable: ConnectionTarget = { source: 'flag', config: { host: '127.0.0.1', port: 1, user: 'u', database: 'd' }, label: 'u@127.0.0.1:1/d' };
const context = { target: unreachable, migrationsDir: '/nonexistent', backupDir: '/nonexistent' };

const check = (id: string, area: DoctorCheck['area'], run: DoctorCheck['run'], extra: Partial<DoctorCheck> = {}): DoctorCheck => ({
  id,
  title: id,
  area,
  connection: 'none',
  run,
  ...extra,
});

describe('runDoctor', () => {
  it('reports every check, ordered by area, and fails the run only on failures unless strict', async () => {
    const checks = [
      check('late', 'backups', () => Promise.resolve({ status: 'warn', detail: 'w', fix: 'f' })),
      check('early', 'database', () => Promise.resolve({ status: 'ok', detail: 'fine' })),
    ];
    const report = await runDoctor(context, { checks });
    expect(report.checks.map((result) => [result.id, result.status, result.fix])).toEqual([
      ['early', 'ok', null],
      ['late', 'warn', 'f'],
    ]);
    expect(report).toMatchObject({ ok: true, database: 'u@127.0.0.1:1/d', summary: { ok: 1, warn: 1, fail: 0 } });
    expect((await runDoctor(context, { checks, strict: true })).ok).toBe(false);
  });

  it('fails a check that outlives the check timeout, and one that throws, without stopping the others', async () => {
    const report = await runDoctor(context, {
      checkTimeoutMs: 50,
      checks: [
        check('hangs', 'database', () => new Promise(() => {})),
        check('throws', 'schema', () => Promise.reject(new Error('catalog unreadable'))),
        check('fine', 'tools', () => Promise.resolve({ status: 'ok', detail: 'ok' })),
      ],
    });
    expect(report.checks.map((result) => [result.id, result.status, result.detail])).toEqual([
      ['hangs', 'fail', 'timed out: no result within 50 ms (--check-timeout)'],
      ['throws', 'fail', 'the check could not run: catalog unreadable'],
      ['fine', 'ok', 'ok'],
    ]);
    expect(report.ok).toBe(false);
  });

  it('skips the checks that need the connection when there is none, and lets the connection check say why', async () => {
    let ran = false;
    const report = await runDoctor(context, {
      checks: [
        check('needs', 'database', () => ((ran = true), Promise.resolve({ status: 'ok', detail: '' })), { connection: 'needs' }),
        check(
          'reports',
          'database',
          async (input) => {
            const reason = await input.connectionFacts().then(
              () => 'connected',
              (error: Error) => error.message,
            );
            return { status: 'fail', detail: reason, fix: 'x' };
          },
          { connection: 'reports' },
        ),
      ],
    });
    expect(ran).toBe(false);
    expect(report.checks[0]).toMatchObject({ status: 'fail', detail: 'skipped: no connection' });
    expect(report.checks[1]?.detail).toBe('Could not connect to PostgreSQL at 127.0.0.1:1: the connection was refused.');
  });

  it('leaves out checks that do not apply', async () => {
    const report = await runDoctor(context, {
      checks: [
        check('only-with-flag', 'application', () => Promise.resolve({ status: 'ok', detail: '' }), { enabled: (input) => input.healthUrl !== undefined }),
      ],
    });
    expect(report.checks).toEqual([]);
  });
});

describe('summarize', () => {
  it('counts statuses', () => {
    const result = (status: 'ok' | 'warn' | 'fail') => ({ id: status, title: status, area: 'database' as const, status, detail: '', fix: null });
    expect(summarize([result('ok'), result('fail'), result('warn'), result('ok')], false)).toEqual({ ok: false, summary: { ok: 2, warn: 1, fail: 1 } });
  });
});
