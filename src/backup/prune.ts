import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '../engine/context.js';
import { inputError } from '../errors.js';
import { listBackups, removeBackup, staleTemporaries } from './folder.js';
import { databaseLabel, newestFirst, type BackupManifest } from './manifest.js';

/** Temporaries nobody has written to for this long are left by an interrupted run. */
const STALE_TEMPORARY_MS = 60 * 60_000;

/**
 * The backups to delete so that the newest `keep` of each database remain.
 * Backups are grouped by database (host, port, name): a folder shared by
 * several databases never loses one database's backups to another's.
 */
export function backupsToPrune(manifests: readonly BackupManifest[], keep: number): BackupManifest[] {
  if (!Number.isInteger(keep) || keep < 1) throw inputError(`--keep ${keep}: at least one backup must be kept.`, 'Give --keep a number of 1 or more.');
  const byDatabase = new Map<string, BackupManifest[]>();
  for (const manifest of manifests) {
    const key = databaseLabel({ database: { ...manifest.database, user: '' } });
    byDatabase.set(key, [...(byDatabase.get(key) ?? []), manifest]);
  }
  return [...byDatabase.values()].flatMap((group) => newestFirst(group).slice(keep));
}

export interface PruneResult {
  removed: string[];
  kept: string[];
  /** Temporaries of interrupted runs that were removed. */
  removedTemporaries: string[];
}

/** `astra backup prune --keep N`. */
export async function pruneBackups(context: Context, keep: number): Promise<PruneResult> {
  const dir = context.backupDir;
  const { manifests } = await listBackups(dir);
  const doomed = backupsToPrune(manifests, keep);
  for (const manifest of doomed) await removeBackup(dir, manifest);
  const temporaries = await staleTemporaries(dir, Date.now(), STALE_TEMPORARY_MS);
  for (const name of temporaries) await rm(join(dir, name), { recursive: true, force: true });
  const removed = new Set(doomed.map((manifest) => manifest.id));
  return {
    removed: [...removed],
    kept: manifests.filter((manifest) => !removed.has(manifest.id)).map((manifest) => manifest.id),
    removedTemporaries: temporaries,
  };
}
