import { describe, expect, it } from 'vitest';
import { indexStatementFor, numberedName, partitionIndexName } from '../../../src/migrations/partitioned-index.js';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';

await loadParser();

describe('indexes on partitioned tables', () => {
  it("names a partition's index after the partition, as PostgreSQL does, and keeps long names distinct within 63 bytes", () => {
    expect(partitionIndexName('events_at_idx', 'events', 'events_2026')).toBe('events_2026_at_idx');
    expect(partitionIndexName('by_time', 'events', 'events_2026')).toBe('events_2026_by_time');
    const long = 'x'.repeat(40);
    const a = partitionIndexName(`${long}_at_idx`, long, `${long}_partition_a`);
    const b = partitionIndexName(`${long}_at_idx`, long, `${long}_partition_b`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(numberedName('events_2026_at_idx', 2)).toBe('events_2026_at_idx2');
    expect(Buffer.byteLength(numberedName('y'.repeat(63), 12))).toBe(63);
  });

  it('writes the statement for the parent (ON ONLY) and a partition (CONCURRENTLY), keeping what follows the table', () => {
    const [statement] = parseStatements(
      '/* on (x) */ CREATE UNIQUE INDEX IF NOT EXISTS ev_key ON ONLY public."Events" USING btree (id, (lower(kind))) INCLUDE (at) WITH (fillfactor = 90) WHERE id > 0',
      'm.sql',
    );
    expect(indexStatementFor(statement!, { index: 'ev_key', table: '"public"."Events"', only: true })).toBe(
      'CREATE UNIQUE INDEX "ev_key" ON ONLY "public"."Events" USING btree (id, (lower(kind))) INCLUDE (at) WITH (fillfactor = 90) WHERE id > 0',
    );
    expect(indexStatementFor(statement!, { index: 'Events_2026_key', table: '"public"."Events_2026"', concurrently: true })).toBe(
      'CREATE UNIQUE INDEX CONCURRENTLY "Events_2026_key" ON "public"."Events_2026" USING btree (id, (lower(kind))) INCLUDE (at) WITH (fillfactor = 90) WHERE id > 0',
    );
  });
});
