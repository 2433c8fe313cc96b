import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { freshClickhouseDatabase, type ClickhouseTestDatabase } from '../helpers/clickhouse-server.js';

const clickhouse = inject('clickhouse');

/** The ClickHouse server the global setup starts, reached as astra reaches one: with @clickhouse/client. */
describe.skipIf(clickhouse === null)('the test ClickHouse server', () => {
  let database: ClickhouseTestDatabase;
  let client: ClickHouseClient;

  beforeAll(async () => {
    database = await freshClickhouseDatabase(clickhouse!.url, 'server_check');
    // The client logs refused queries on its own: off, the tests assert them.
    client = createClient({ url: database.url, log: { level: ClickHouseLogLevel.OFF } });
  });

  afterAll(async () => {
    await client?.close();
  });

  it('answers with its version', async () => {
    const rows = await (await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })).json<{ version: string }>();
    expect(rows).toEqual([{ version: clickhouse!.version }]);
    console.log(`ClickHouse server ${clickhouse!.version}`);
  });

  it('selects the database named in the URL', async () => {
    const rows = await (await client.query({ query: 'SELECT currentDatabase() AS name', format: 'JSONEachRow' })).json<{ name: string }>();
    expect(rows).toEqual([{ name: database.name }]);
  });

  it('creates a table and reads a row back', async () => {
    await client.command({ query: 'CREATE TABLE llm_usage (at DateTime, model String, tokens UInt32) ENGINE = MergeTree ORDER BY (model, at)' });
    await client.insert({ table: 'llm_usage', values: [{ at: '2024-05-01 12:00:00', model: 'small', tokens: 42 }], format: 'JSONEachRow' });
    const rows = await (await client.query({ query: 'SELECT model, tokens FROM llm_usage', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ model: 'small', tokens: 42 }]);
  });

  it("refuses a bad query with the server's message", async () => {
    await expect(client.command({ query: 'SELECT * FROM no_such_table' })).rejects.toThrow(/no_such_table/);
  });
});
