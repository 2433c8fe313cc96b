import { describe, expect, it } from 'vitest';
import { judgeMigrations } from '../../../../src/doctor/checks/migrations.js';
import { ledgerRow, migration } from '../helpers.js';

const folder = () =>
  Promise.all([
    migration(1, '001-a.sql', 'CREATE TABLE a (id int);'),
    migration(2, '002-b.sql', 'CREATE TABLE b (id int); CREATE INDEX CONCURRENTLY b_id_idx ON b (id); COMMENT ON TABLE b IS $$b$$;'),
  ]);

describe('migrations', () => {
  it('is ok when every migration is applied as written', async () => {
    const [a, b] = await folder();
    expect(judgeMigrations([a, b], [ledgerRow(a), ledgerRow(b)])).toEqual({ status: 'ok', detail: '2 applied, none pending (newest 2)' });
  });

  it('warns about pending migrations', async () => {
    const [a, b] = await folder();
    expect(judgeMigrations([a, b], [ledgerRow(a)])).toMatchObject({ status: 'warn', detail: '1 pending: 2 (002-b.sql)' });
  });

  it('fails a hole (a migration missing below one recorded) rather than calling it pending', async () => {
    const [a, b] = await folder();
    const outcome = judgeMigrations([a, b], [ledgerRow(b)]);
    expect(outcome).toMatchObject({
      status: 'fail',
      detail: 'the ledger has a hole: 1 (001-a.sql) is not recorded as applied, yet later migrations are (up to 2)',
    });
    expect(outcome.fix).toContain('astra migrate force 2');
  });

  it('fails a database newer than the package, and a file changed after it was applied', async () => {
    const [a, b] = await folder();
    const outcome = judgeMigrations([a, b], [ledgerRow(a, { checksum: 'edited' }), ledgerRow(b), ledgerRow({ version: 7, name: 'future', checksum: 'x' })]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toBe(
      'the database is newer than this package: 7 (future) is applied but unknown here; 001-a.sql changed after it was applied (checksum drift: the file no longer matches the ledger)',
    );
  });

  it('fails a dirty migration, naming the statement it stopped at and how to resume', async () => {
    const [a, b] = await folder();
    const outcome = judgeMigrations(
      [a, b],
      [
        ledgerRow(a),
        ledgerRow(b, {
          dirty: true,
          nextStatement: 1,
          failedStatement: 'CREATE INDEX CONCURRENTLY b_id_idx ON b (id)',
          error: 'could not create unique index',
        }),
      ],
    );
    expect(outcome).toEqual({
      status: 'fail',
      detail:
        'migration 2 (002-b.sql) is unfinished (dirty): it stopped at statement 2 of 3: CREATE INDEX CONCURRENTLY b_id_idx ON b (id) — could not create unique index',
      fix: 'Fix the cause, then run astra migrate up: it resumes at statement 2.',
    });
  });

  it('names the statement a killed run was at, and says to force when it cannot resume', async () => {
    const [a, b] = await folder();
    expect(judgeMigrations([a, b], [ledgerRow(a), ledgerRow(b, { dirty: true, nextStatement: 1 })]).detail).toBe(
      'migration 2 (002-b.sql) is unfinished (dirty): it stopped at statement 2 of 3: CREATE INDEX CONCURRENTLY b_id_idx ON b (id) (the run was interrupted)',
    );
    const forced = judgeMigrations([a, b], [ledgerRow(a), ledgerRow(b, { dirty: true, failedStatement: 'DROP INDEX b_id_idx', error: 'boom' })]);
    expect(forced.fix).toBe('Repair the database by hand, then record where it stands with astra migrate force 2 (done) or astra migrate force 1 (not done).');
  });
});
