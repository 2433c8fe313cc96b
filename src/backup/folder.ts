import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage, inputError, operationError } from '../errors.js';
import type { Log } from '../ui/log.js';
import { isBackupId } from './backup-id.js';
import { newestFirst, parseManifest, type BackupManifest } from './manifest.js';

/**
 * The backup folder: `<id>.json` manifests beside `<id>.dump` files or
 * `<id>.dir` folders. Anything is written under a temporary name starting
 * with "." and ending in ".partial", made durable, then renamed; a backup
 * exists once its manifest does, so an interrupted write never lists.
 */
export const TEMPORARY_SUFFIX = '.partial';

export function temporaryName(name: string): string {
  return `.${name}${TEMPORARY_SUFFIX}`;
}

export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMPORARY_SUFFIX);
}

export function manifestFileName(id: string): string {
  return `${id}.json`;
}

/** Creates the folder (mode 0700) when missing; a clear error naming it when it cannot be written. */
export async function ensureBackupFolder(dir: string, log: Log): Promise<void> {
  const fix = 'Pass --backup-dir (or set ASTRA_BACKUP_DIR) to a folder astra can create and write.';
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw operationError(`The backup folder ${dir} cannot be used: ${errorMessage(error)}.`, fix, error);
  });
  if (info && !info.isDirectory()) throw operationError(`The backup folder ${dir} is not a folder.`, fix);
  if (!info) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    } catch (error) {
      throw operationError(`The backup folder ${dir} cannot be created: ${errorMessage(error)}.`, fix, error);
    }
    return;
  }
  if (info.mode & 0o077) {
    log.warn(`The backup folder ${dir} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); backups hold all your data: chmod 700 it.`);
  }
}

/** fsync of a file or a folder (a folder's fsync makes the names in it durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `dir/name` (mode 0600) so that a crash leaves the old file or the new one, never a mix. */
export async function writeFileAtomically(dir: string, name: string, text: string): Promise<void> {
  const temporary = join(dir, temporaryName(name));
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(dir, name));
  await fsyncPath(dir);
}

/** Writes a manifest atomically, after checking it against the schema it is read with. */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const checked = parseManifest(manifest);
  if (!checked.ok) throw new Error(`the manifest of ${manifest.id} is invalid (${checked.problem})`);
  await writeFileAtomically(dir, manifestFileName(manifest.id), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface BackupListing {
  /** Newest first. */
  manifests: BackupManifest[];
  /** Manifests that could not be read, with the reason. */
  unreadable: { file: string; problem: string }[];
}

/** Reads every manifest of the folder; a folder that does not exist holds no backups. */
export async function listBackups(dir: string): Promise<BackupListing> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { manifests: [], unreadable: [] };
    if (code === 'ENOTDIR') throw inputError(`The backup folder ${dir} is not a folder (a file is in its place).`, 'Pass --backup-dir with a folder.', error);
    throw operationError(`The backup folder ${dir} cannot be read: ${errorMessage(error)}.`, 'Check its permissions, or pass --backup-dir.', error);
  }
  const manifests: BackupManifest[] = [];
  const unreadable: BackupListing['unreadable'] = [];
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue;
    const result = await readManifestFile(join(dir, name));
    if (result.ok) manifests.push(result.manifest);
    else unreadable.push({ file: name, problem: result.problem });
  }
  return { manifests: newestFirst(manifests), unreadable };
}

async function readManifestFile(path: string): Promise<{ ok: true; manifest: BackupManifest } | { ok: false; problem: string }> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { ok: false, problem: errorMessage(error) };
  }
  return parseManifest(data);
}

/** The manifest of backup `id`; an input error (exit 2) when there is no such backup. */
export async function readBackup(dir: string, id: string): Promise<BackupManifest> {
  const listFix = `Run astra backup list --backup-dir ${dir} to see the backups there.`;
  if (!isBackupId(id)) throw inputError(`"${id}" is not a backup id (they look like 20261102T143015Z-a1b2c3).`, listFix);
  const path = join(dir, manifestFileName(id));
  try {
    await lstat(path);
  } catch {
    throw inputError(`There is no backup ${id} in ${dir}.`, listFix);
  }
  const result = await readManifestFile(path);
  if (!result.ok) {
    throw operationError(
      `The manifest of backup ${id} (${path}) cannot be read: ${result.problem}.`,
      'The backup cannot be trusted; take a new one with astra backup create.',
    );
  }
  if (result.manifest.id !== id) {
    throw operationError(
      `The manifest ${path} names backup ${result.manifest.id}, not ${id}.`,
      'The backup cannot be trusted; take a new one with astra backup create.',
    );
  }
  return result.manifest;
}

/** Deletes a backup: the manifest first, so that a backup half-deleted no longer lists. */
export async function removeBackup(dir: string, manifest: BackupManifest): Promise<void> {
  // The schema allows only `<id>.dump` / `<id>.dir`; never delete a path that leaves the folder.
  if (basename(manifest.archive) !== manifest.archive || !manifest.archive.startsWith(manifest.id)) {
    throw operationError(`The manifest of backup ${manifest.id} names the archive "${manifest.archive}", outside the backup folder; it is not deleted.`);
  }
  await rm(join(dir, manifestFileName(manifest.id)), { force: true });
  await fsyncPath(dir).catch(() => {});
  await rm(join(dir, manifest.archive), { recursive: true, force: true });
}

/** Temporaries left by an interrupted run that nothing has written to for `olderThanMs`. */
export async function staleTemporaries(dir: string, now: number, olderThanMs: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const name of names.filter(isTemporaryName)) {
    const info = await lstat(join(dir, name)).catch(() => undefined);
    if (info && now - info.mtimeMs > olderThanMs) stale.push(name);
  }
  return stale;
}
