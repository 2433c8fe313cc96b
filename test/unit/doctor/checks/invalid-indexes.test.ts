import { describe, expect, it } from 'vitest';
import { judgeInvalidIndexes } from '../../../../src/doctor/checks/invalid-indexes.js';

describe('invalid-indexes', () => {
  it('is ok without INVALID indexes', () => {
    expect(judgeInvalidIndexes([])).toEqual({ status: 'ok', detail: 'no INVALID indexes' });
  });

  it('fails an INVALID index with the DROP INDEX CONCURRENTLY that removes it', () => {
    const outcome = judgeInvalidIndexes([{ schema: 'public', name: 'Items_code_key', table: 'public.items', building: false }]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('public.Items_code_key on public.items');
    expect(outcome.fix).toMatch(/^DROP INDEX CONCURRENTLY "public"\."Items_code_key"; Then re-run the build/);
  });

  it('only warns about an index a concurrent build is making right now', () => {
    expect(judgeInvalidIndexes([{ schema: 'public', name: 'big_idx', table: 'public.big', building: true }]).status).toBe('warn');
  });
});
