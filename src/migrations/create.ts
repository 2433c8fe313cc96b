import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../errors.js';
import { nextMigrationFiles } from './discover.js';
import { listMigrations } from './load.js';
import { splitSections, type SectionTool } from './sections.js';
import type { Context } from '../engine/context.js';

/** `astra migrate create <name>`: the next file(s), in the folder's own naming style. Touches no database. */
export function migrateCreate(context: Context, name: string): { files: string[] } {
  const folder = context.migrationsDir;
  if (!existsSync(folder)) {
    throw inputError(`The migrations folder ${folder} does not exist.`, `Check --migrations-dir, or create the folder first (mkdir -p ${folder}).`);
  }
  const existing = listMigrations(folder);
  const next = nextMigrationFiles(existing, name, context.versions);
  const files = [next.up, ...(next.down ? [next.down] : [])].map((file) => join(folder, file));
  for (const file of files) {
    if (existsSync(file)) throw inputError(`${file} already exists.`, 'Choose another name.');
  }
  // A folder of dbmate, goose or node-pg-migrate files gets its tool's up and down markers.
  const last = existing.at(-1);
  const tool = last ? splitSections(readFileSync(join(folder, last.file), 'utf8'), last.file).tool : undefined;
  const change = '-- Write the change here. Guard it (IF NOT EXISTS) so that it can run twice.\n';
  writeFileSync(files[0]!, tool ? withMarkers(tool, change) : `-- ${next.up}\n${change}`, { flag: 'wx' });
  if (files[1]) writeFileSync(files[1], `-- ${next.down}\n-- Undo ${next.up} here.\n`, { flag: 'wx' });
  for (const file of files) context.log.info(`Created ${file}`);
  return { files };
}

/** A new file in a tool's own layout: the up part, then the down part. */
function withMarkers(tool: SectionTool, change: string): string {
  const [up, down] = { dbmate: ['-- migrate:up', '-- migrate:down'], goose: ['-- +goose Up', '-- +goose Down'], 'node-pg-migrate': ['-- Up Migration', '-- Down Migration'] }[tool];
  return `${up}\n${change}\n${down}\n-- Undo the change here.\n`;
}
