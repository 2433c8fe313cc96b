import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AstraError, EXIT_BAD_INPUT, EXIT_FAILED, errorMessage, inputError } from '../errors.js';
import type { Project, ProjectDatabase } from '../project/load.js';

/** The project module, loaded when a project file is found: not to print --help or --version. */
type ProjectModule = typeof import('../project/load.js');
import { createLog } from '../ui/log.js';
import { createDatabaseContext, type Action, type DatabaseSetting, type GlobalOptions, type ProjectAction, type ProjectRun } from './context.js';

/** Commands that read rather than change: on a project, a failure in one database does not stop the others. */
const READ_ONLY = new Set(['status', 'doctor', 'lint', 'checklist', 'backup list', 'backup verify']);
/** Commands that read only files: a database whose URL is not set is still worked on, and named if a connection is asked for. */
const NO_DATABASE = new Set(['lint', 'migrate create', 'backup list', 'backup prune']);
/** Commands that name one database's file or version, so need exactly one (migrate up does with --to). */
const ONE_DATABASE = new Set(['migrate create', 'migrate force', 'migrate goto', 'migrate down']);

function commandPath(command: Command): string {
  const parent = command.parent?.parent ? `${command.parent.name()} ` : '';
  return `${parent}${command.name()}`;
}

/** The project file in force: --config, else the nearest astra.config.* here or above; undefined without one. */
export async function openProject(globals: GlobalOptions): Promise<Project | undefined> {
  const { findProjectFile } = await import('../project/find.js');
  const file = globals.config !== undefined ? resolve(globals.config) : findProjectFile(process.cwd());
  if (globals.config !== undefined && !existsSync(file!))
    throw inputError(`--config ${globals.config}: there is no such file.`, 'Give the path of an astra.config.json or .yaml file.');
  if (!file) {
    if (globals.db && globals.db.length > 0) {
      throw inputError(
        `--db ${globals.db[0]} names a database of a project file, and there is none here or above (astra.config.json or astra.config.yaml).`,
        'Run from the project folder, or name the file with --config.',
      );
    }
    return undefined;
  }
  const { loadProject } = await import('../project/load.js');
  const project = loadProject(file);
  const given = (['databaseUrl', 'migrationsDir', 'releaseNotesDir'] as const).filter((key) => globals[key] !== undefined);
  if (given.length > 0) {
    const flag = `--${given[0]!.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    throw inputError(
      `${flag} cannot be used with the project file ${project.file}, which says where each database and its migrations are.`,
      'Choose databases with --db, or leave the project folder (or pass --config of another file).',
    );
  }
  return project;
}

/** Each selected database's settings, with every URL found first: a required one missing stops everything before any is touched. */
function settingsOf(load: ProjectModule, project: Project, globals: GlobalOptions, selected: ProjectDatabase[], needsDatabase: boolean) {
  const { databaseUrl, notSet, projectBackupRoot } = load;
  const backupRoot = projectBackupRoot(project, globals.backupDir);
  const named = new Set(globals.db ?? []);
  const settings: DatabaseSetting[] = [];
  const skipped: Record<string, string> = {};
  for (const database of selected) {
    const found = databaseUrl(database);
    if ('missing' in found && !needsDatabase) {
      const why = `The database "${database.name}" of ${project.file} has no URL: ${notSet(found.missing)}.`;
      settings.push({ ...settingOf(load, database, backupRoot), url: undefined, noUrl: why });
      continue;
    }
    if ('missing' in found) {
      const what = notSet(found.missing);
      if (database.required || named.has(database.name)) {
        throw inputError(
          `The database "${database.name}" of ${project.file} has no URL: ${what}; nothing was changed.`,
          database.required
            ? `Set ${found.missing.join(' and ')}, or mark the database required: false if this installation does not run it.`
            : `Set ${found.missing.join(' and ')}.`,
        );
      }
      skipped[database.name] = `${what}, and the project file says this database is not required`;
      continue;
    }
    settings.push({ ...settingOf(load, database, backupRoot), url: found.url });
  }
  // A ClickHouse database's run lock is held in the project's first PostgreSQL database, whichever databases this run selected.
  const lockHolder = project.databases.find((database) => database.kind === 'postgres');
  const lockUrl = lockHolder ? databaseUrl(lockHolder) : undefined;
  if (lockUrl && 'url' in lockUrl) {
    const lockIn = async () => (await import('../db/connection.js')).resolveConnection({ databaseUrl: lockUrl.url, log: createLog({ debug: globals.debug }) });
    for (const setting of settings) if (setting.kind === 'clickhouse') setting.lockIn = lockIn;
  }
  return { settings, skipped, backupRoot };
}

function settingOf(load: ProjectModule, database: ProjectDatabase, backupRoot: string): Omit<DatabaseSetting, 'url'> {
  return {
    kind: database.kind,
    name: database.name,
    migrationsDir: database.migrationsDir,
    releaseNotesDir: database.releaseNotesDir,
    versions: database.versions,
    backupDir: join(backupRoot, database.name),
    placement: load.placementOf(database),
    seeds: database.seeds,
  };
}

/** A failure of one database, as the grouped JSON shows it. */
function failureOf(error: unknown): { ok: false; error: { message: string; fix: string | null; exitCode: number } } {
  const astraError = error instanceof AstraError ? error : undefined;
  return {
    ok: false,
    error: {
      message: astraError ? astraError.message : `Unexpected error: ${errorMessage(error)}`,
      fix: astraError?.fix ?? null,
      exitCode: astraError?.exitCode ?? EXIT_FAILED,
    },
  };
}

/**
 * Runs a command on a project. Human lines are tagged with each database's
 * name and end with one summary line; --json prints one object whose
 * `databases` holds each database's report (or its error) by name.
 */
export async function runOnProject(
  project: Project,
  globals: GlobalOptions,
  signal: () => AbortSignal,
  command: Command,
  action: Action,
  projectAction: ProjectAction | undefined,
  args: unknown[],
): Promise<void> {
  const load = await import('../project/load.js');
  const path = commandPath(command);
  const selected = load.selectDatabases(project, globals.db ?? []);
  const oneOnly = ONE_DATABASE.has(path) || (path === 'migrate up' && command.opts<{ to?: string }>().to !== undefined);
  if (oneOnly && selected.length !== 1) {
    throw inputError(
      `astra ${path}${path === 'migrate up' ? ' --to' : ''} names a file or version of one database, and ${selected.length} are selected in ${project.file}.`,
      `Name one with --db (${selected.map((database) => database.name).join(', ')}).`,
    );
  }
  const { settings, skipped, backupRoot } = settingsOf(load, project, globals, selected, !NO_DATABASE.has(path));
  const log = createLog({ debug: globals.debug });
  for (const [name, why] of Object.entries(skipped)) log.info(`[${name.toUpperCase()}] Skipped: ${why}.`);
  const json = globals.json === true;
  const results: Record<string, unknown> = Object.fromEntries(Object.entries(skipped).map(([name, why]) => [name, { ok: true, skipped: why }]));
  const emitted = new Map<string, unknown>();
  const document = path === 'checklist' && command.opts<{ format?: string }>().format === 'md';
  const members = settings.map((setting) => ({
    name: setting.name,
    context: createDatabaseContext(globals, setting, signal, (result) => emitted.set(setting.name, result), !document),
  }));
  const run: ProjectRun = { file: project.file, backupRoot, declared: project.databases.map((database) => database.name), skipped };
  const print = (result: object) => {
    if (json) process.stdout.write(`${JSON.stringify({ project: project.file, ...result }, null, 2)}\n`);
  };

  if (projectAction) {
    try {
      const result = await projectAction(members, run, ...args);
      print({ ok: true, ...(result as object) });
    } catch (error) {
      const astraError = error instanceof AstraError ? error : undefined;
      if (astraError?.result) {
        print({ ok: false, ...astraError.result, error: failureOf(error).error });
        throw new AstraError(astraError.message, { fix: astraError.fix, exitCode: astraError.exitCode, cause: error, alreadyReported: json });
      }
      throw error;
    }
    return;
  }

  const named = new Set(globals.db ?? []);
  const failures: { name: string; error: unknown }[] = [];
  for (const member of members) {
    if (document && !json) process.stdout.write(`<!-- database: ${member.name} -->\n\n`);
    try {
      const { clickhouse } = member.context;
      const result = clickhouse
        ? await (await import('./clickhouse.js')).clickhouseCommand(path, member.context, clickhouse, command, action, args, named.has(member.name))
        : await action(member.context, ...args);
      results[member.name] = { ok: true, ...(result && typeof result === 'object' ? result : {}) };
    } catch (error) {
      failures.push({ name: member.name, error });
      const report = emitted.get(member.name);
      results[member.name] = { ...(report && typeof report === 'object' ? report : {}), ...failureOf(error) };
      // A change that failed stops the run here: the databases after it are left as they are.
      if (!READ_ONLY.has(path)) break;
      const { message, fix } = failureOf(error).error;
      member.context.log.error(message);
      if (fix) member.context.log.info(`  fix: ${fix}`);
    }
  }
  const notRun = members.filter((member) => !(member.name in results)).map((member) => member.name);
  print({ ok: failures.length === 0, databases: results, ...(notRun.length > 0 ? { notRun } : {}) });
  const names = members.map((member) => member.name);
  if (failures.length === 0) {
    log.info(`[OK] astra ${path}: ${names.join(', ')}${Object.keys(skipped).length > 0 ? ` (skipped: ${Object.keys(skipped).join(', ')})` : ''}.`);
    return;
  }
  const first = failures[0]!;
  if (READ_ONLY.has(path)) {
    const exitCode = failures.some((failure) => failure.error instanceof AstraError && failure.error.exitCode === EXIT_BAD_INPUT)
      ? EXIT_BAD_INPUT
      : EXIT_FAILED;
    throw new AstraError(`astra ${path} failed for ${failures.map((failure) => failure.name).join(', ')} (of ${names.join(', ')}); see the lines above.`, {
      exitCode,
      cause: first.error,
      alreadyReported: json,
    });
  }
  const firstError = first.error instanceof AstraError ? first.error : undefined;
  const message = firstError ? firstError.message : `Unexpected error: ${errorMessage(first.error)}`;
  throw new AstraError(`[${first.name.toUpperCase()}] ${message}${notRun.length > 0 ? ` Not run: ${notRun.join(', ')}.` : ''}`, {
    fix: firstError?.fix,
    exitCode: firstError?.exitCode ?? EXIT_FAILED,
    cause: first.error,
    alreadyReported: json,
    ...(firstError?.database !== undefined ? { database: firstError.database } : {}),
  });
}
