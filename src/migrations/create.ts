import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../errors.js';
import { nextMigrationFiles } from './discover.js';
import { listMigrations } from './load.js';
import type { Context } from '../engine/context.js';

/** `astra migrate create <name>`: the next file(s), in the folder's own naming style. Touches no database. */
export function migrateCreate(context: Context, name: string): { files: string[] } {
  const folder = context.migrationsDir;
  if (!existsSync(folder)) {
    throw inputError(`The migrations folder ${folder} does not exist.`, `Check --migrations-dir, or create the folder first (mkdir -p ${folder}).`);
  }
  const next = nextMigrationFiles(listMigrations(folder), name, context.versions);
  const files = [next.up, ...(next.down ? [next.down] : [])].map((file) => join(folder, file));
  for (const file of files) {
    if (existsSync(file)) throw inputError(`${file} already exists.`, 'Choose another name.');
  }
  writeFileSync(files[0]!, `-- ${next.up}\n-- Write the change here. Guard it (IF NOT EXISTS) so that it can run twice.\n`, { flag: 'wx' });
  if (files[1]) writeFileSync(files[1], `-- ${next.down}\n-- Undo ${next.up} here.\n`, { flag: 'wx' });
  for (const file of files) context.log.info(`Created ${file}`);
  return { files };
}
