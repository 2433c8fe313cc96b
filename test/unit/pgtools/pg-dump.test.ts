import { describe, expect, it } from 'vitest';
import { dumpedTableOf, pgDumpArguments } from '../../../src/pgtools/pg-dump.js';

describe('dumpedTableOf', () => {
  it('reads the table of a --verbose progress line', () => {
    expect(dumpedTableOf('pg_dump: dumping contents of table "public.users"')).toBe('public.users');
    expect(dumpedTableOf('pg_dump: dumping contents of table "billing.invoice lines"\r')).toBe('billing.invoice lines');
  });

  it('ignores every other line', () => {
    expect(dumpedTableOf('pg_dump: reading extensions')).toBeUndefined();
    expect(dumpedTableOf('pg_dump: error: query failed')).toBeUndefined();
  });
});

describe('pgDumpArguments', () => {
  it('holds the output and format, never a connection setting', () => {
    const args = pgDumpArguments({ format: 'custom', path: '/backups/.x.dump.partial', snapshot: '00000003-0000001B-1' });
    expect(args).toEqual([
      '--format=custom',
      '--file=/backups/.x.dump.partial',
      '--compress=1',
      '--verbose',
      '--no-password',
      '--snapshot=00000003-0000001B-1',
    ]);
    expect(args.join(' ')).not.toMatch(/--(host|port|username|dbname)|postgres(ql)?:\/\//);
  });

  it('passes --jobs only with the directory format', () => {
    expect(pgDumpArguments({ format: 'directory', path: 'd', jobs: 2 })).toContain('--jobs=2');
    expect(pgDumpArguments({ format: 'custom', path: 'f', jobs: 2 })).not.toContain('--jobs=2');
  });
});
