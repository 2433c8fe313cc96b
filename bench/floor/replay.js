// The floor of `astra doctor` and `astra status`: what such a command cannot
// skip, and nothing else. Node starts and loads pg (bundled with the plugin
// astra's bundle uses, as CommonJS, into one file: bench/lib/floor.js); one connection opens while the migration files are
// read and their sha256 computed (FLOOR_FILES, a folder: every file in it);
// then the statements the command itself sent in an earlier run
// (FLOOR_STATEMENTS, a JSON file written by bench/lib/sql-spy.cjs) go again,
// one after another on that connection, as the command sends them. No
// argument parsing, no parse trees, no backup manifests, no client programs
// looked for, no report. DATABASE_URL names the database.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

async function main() {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: 'astra-bench-floor' });
  const connecting = client.connect();
  const folder = process.env.FLOOR_FILES;
  const checksums = folder ? readdirSync(folder).map((name) => createHash('sha256').update(readFileSync(join(folder, name))).digest('hex')) : [];
  const { statements } = JSON.parse(readFileSync(process.env.FLOOR_STATEMENTS, 'utf8'));
  await connecting;
  let rows = 0;
  for (const { sql, params } of statements) rows += (await client.query(sql, params)).rowCount ?? 0;
  await client.end();
  process.stdout.write(`${checksums.length} files, ${statements.length} statements, ${rows} rows\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
