import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { inputError } from '../errors.js';
import { LEDGER_TABLE } from '../db/ledger.js';
import { projectIssues } from './schema.js';
import type { Placement } from '../db/target.js';
import type { SeedCatalog } from '../seed/catalog.js';

export { findProjectFile, PROJECT_FILE_NAMES } from './find.js';

/** One database of the project, with its paths absolute. */
export interface ProjectDatabase {
  name: string;
  kind: 'postgres' | 'clickhouse';
  /** Where the URL comes from: an environment variable, or a URL with ${VAR} references. */
  url: { env: string } | { template: string };
  migrationsDir: string;
  /** Only the migrations numbered in this range belong to this database (a shared folder). */
  versions: { from: number; to: number } | undefined;
  releaseNotesDir: string;
  /** The schema its migrations create their objects in: first on the search path. */
  schema: string;
  /** Where its ledger lives, whatever the role's search_path says. */
  ledger: { schema: string; table: string };
  /** false: some installations do not run it; a missing URL skips it instead of stopping. */
  required: boolean;
  /** Catalogs of rows applied after its migrations, in declared order. */
  seeds: SeedCatalog[];
}

export interface Project {
  file: string;
  backupDir: string | undefined;
  databases: ProjectDatabase[];
}

function parseText(file: string, text: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw inputError(`The project file ${file} is not valid JSON: ${(error as Error).message}.`, 'Fix the file.', error);
    }
  }
  // Aliases are refused outright, so a small file cannot expand into a huge one.
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw inputError(`The project file ${file} is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}.`, 'Fix the file.');
  }
  try {
    return document.toJS({ maxAliasCount: 0 }) as unknown;
  } catch (error) {
    throw inputError(`The project file ${file} uses a YAML alias (*name), which astra does not follow.`, 'Write the values out in full.', error);
  }
}

/** Reads and validates a project file; every problem names the file and the key. Touches no database. */
export function loadProject(path: string): Project {
  const file = resolve(path);
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw inputError(`The project file ${file} cannot be read: ${(error as Error).message}.`, 'Check --config.', error);
  }
  const checked = projectIssues(parseText(file, text));
  if (!checked.ok) {
    throw inputError(`The project file ${file} is invalid: ${checked.issues.join('; ')}.`, 'See docs/projects.md for the keys a project file takes.');
  }
  const dir = dirname(file);
  return {
    file,
    backupDir: checked.project.backupDir === undefined ? undefined : resolve(dir, checked.project.backupDir),
    databases: checked.project.databases.map((database) => ({
      name: database.name,
      kind: database.kind,
      url: database.env !== undefined ? { env: database.env } : { template: database.url! },
      migrationsDir: resolve(dir, database.migrations),
      versions: database.versions,
      releaseNotesDir: resolve(dir, database.releaseNotes ?? 'release-notes'),
      schema: database.schema ?? 'public',
      ledger: { schema: database.ledger?.schema ?? database.schema ?? 'public', table: database.ledger?.table ?? LEDGER_TABLE },
      required: database.required,
      seeds: database.seeds.map((seed) => {
        const [schema, table] = seed.table.includes('.') ? seed.table.split('.') : [database.schema ?? 'public', seed.table];
        const path = resolve(dir, seed.file);
        return { file: path, name: relative(dir, path), schema: schema!, table: table!, key: seed.key, mode: seed.mode };
      }),
    })),
  };
}

/**
 * Where a project's backups go: the flag (or option), else ASTRA_BACKUP_DIR,
 * else the file's backupDir, else .astra/backups beside the project file,
 * wherever in the project the command runs.
 */
export function projectBackupRoot(project: Project, given: string | undefined): string {
  if (given !== undefined) {
    if (given.trim() === '') throw inputError('--backup-dir (backupDir) is an empty path.', 'Give the folder, or leave the option out for the default.');
    return resolve(given);
  }
  if (process.env.ASTRA_BACKUP_DIR) return resolve(process.env.ASTRA_BACKUP_DIR);
  return project.backupDir ?? join(dirname(project.file), '.astra', 'backups');
}

/**
 * The database's URL from the environment, or the names of the variables it
 * needs that are not set.
 */
export function databaseUrl(database: ProjectDatabase, env: NodeJS.ProcessEnv = process.env): { url: string } | { missing: string[] } {
  if ('env' in database.url) {
    const value = env[database.url.env];
    return value ? { url: value } : { missing: [database.url.env] };
  }
  const missing: string[] = [];
  const expand = (text: string, encode: boolean) =>
    text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined || value === '') missing.push(name);
      return encode ? encodeURIComponent(value ?? '') : (value ?? '');
    });
  // In the user and password, a value from the environment is encoded as a URL needs it; elsewhere
  // (a host, a whole URL in one variable) it is used as it is.
  const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*@)(.*)$/i.exec(database.url.template);
  const url = userinfo ? `${userinfo[1]}${expand(userinfo[2]!, true)}${expand(userinfo[3]!, false)}` : expand(database.url.template, false);
  return missing.length > 0 ? { missing } : { url };
}

/** The variables a database's URL needs and lacks, in words: "TENANT_URL is not set". */
export function notSet(missing: string[]): string {
  return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`;
}

/** Where the project file puts the database's objects and ledger, for its connection target. */
export function placementOf(database: ProjectDatabase): Placement {
  return { schema: database.schema, ledger: database.ledger, versions: database.versions };
}

/** The databases `--db` names, in declared order; every one when none is named. */
export function selectDatabases(project: Project, names: string[]): ProjectDatabase[] {
  const known = project.databases.map((database) => database.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw inputError(`--db ${unknown[0]}: ${project.file} declares no database of that name.`, `Use one of: ${known.join(', ')}.`);
  }
  return names.length === 0 ? project.databases : project.databases.filter((database) => names.includes(database.name));
}
