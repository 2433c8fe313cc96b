import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isTablesOwnError, type StatisticsOutcome } from '../../../src/backup/restored-check.js';
import { reportStatistics, shellWord } from '../../../src/rollback/statistics.js';
import { createLog } from '../../../src/ui/log.js';

/** What reportStatistics writes, line by line, without colour. */
function reported(database: string, outcome: StatisticsOutcome): string[] {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  reportStatistics(createLog({ stream }), database, outcome);
  return text.trimEnd().split('\n');
}

/** A server error as pg raises it: the SQLSTATE in `code`, the severity in the server's language. */
function serverError(code: string, severity: string): Error {
  return Object.assign(new Error('as the server said it'), { code, severity });
}

describe('reportStatistics', () => {
  it('says when the statistics could not be gathered, with the command to run as the owner', () => {
    expect(reported('shop', { gathered: false, problem: 'Connection terminated unexpectedly' })).toEqual([
      "warning: The planner's statistics of the restored shop could not be gathered (Connection terminated unexpectedly): once the rollback is done, run vacuumdb --analyze-only --dbname=shop as its owner; until then its queries may be planned as if its tables were empty; autovacuum gathers them in time otherwise.",
    ]);
  });

  it('names the tables whose ANALYZE failed, with a --table each that the shell reads back as the name', () => {
    const awkward = `"Sch ema"."it's ""q"" (x)"`;
    const lines = reported('my shop', {
      gathered: true,
      tables: 5,
      skipped: [],
      failed: [
        { table: 'public.accounts', problem: 'no statistics today' },
        { table: awkward, problem: 'canceling statement due to statement timeout' },
      ],
    });
    expect(lines[0]).toBe("Gathered the planner's statistics of the restored my shop (ANALYZE of 3 of 5 table(s)).");
    expect(lines[1]).toContain(
      `warning: ANALYZE failed on 2 table(s) (public.accounts: no statistics today; ${awkward}: canceling statement due to statement timeout): once the cause is fixed, run vacuumdb --analyze-only --dbname='my shop' --table=public.accounts --table=`,
    );
    const command = /run (vacuumdb .*); until then/.exec(lines[1] ?? '')?.[1] ?? '';
    // The shell splits the command back into the words vacuumdb is to get.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${command}`], { encoding: 'utf8' })
      .trimEnd()
      .split('\n');
    expect(words).toEqual(['vacuumdb', '--analyze-only', '--dbname=my shop', '--table=public.accounts', `--table=${awkward}`]);
  });

  it('says nothing more than the count when every table was analyzed', () => {
    expect(reported('shop', { gathered: true, tables: 3, skipped: [], failed: [] })).toEqual([
      "Gathered the planner's statistics of the restored shop (ANALYZE of 3 table(s)).",
    ]);
  });
});

describe('shellWord', () => {
  it('leaves a plain word as it is and quotes anything the shell would read otherwise', () => {
    expect(shellWord('public.accounts')).toBe('public.accounts');
    expect(shellWord('public."Order"')).toBe(`'public."Order"'`);
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(shellWord('a;rm -rf x')).toBe(`'a;rm -rf x'`);
  });
});

describe("which errors of a table's ANALYZE leave the other tables to be analyzed", () => {
  it('decides by SQLSTATE, whatever language the server words the severity in', () => {
    // The table's own: a function that raises, a statement_timeout, a lock timeout.
    for (const code of ['P0001', '57014', '55P03', '22012', '42883']) {
      expect(isTablesOwnError(serverError(code, 'ERROR'))).toBe(true);
      expect(isTablesOwnError(serverError(code, 'FEHLER'))).toBe(true);
    }
    // Not the table's: the connection, the server going down, the database dropped, a full disk, an I/O or internal error.
    for (const code of ['08006', '57P01', '57P02', '57P04', '53100', '53200', '58030', 'XX000']) {
      expect(isTablesOwnError(serverError(code, 'ERROR'))).toBe(false);
    }
    // No SQLSTATE at all: the client's own error (the socket closed).
    expect(isTablesOwnError(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});
