import { recordVersion, type ForeignReading } from '../db/foreign-ledgers.js';
import type { Migration } from '../migrations/load.js';
import { inRange, type VersionRange } from '../migrations/discover.js';
import { byVersion, compareVersions, maxVersion, type MigrationVersion } from '../migration-version.js';
import { flywayChecksum } from './flyway-checksum.js';

/** One migration the other tool applied, matched with its file. */
export interface AdoptedMigration {
  version: MigrationVersion;
  name: string;
  file: string;
  checksum: string;
  appliedAt: Date | undefined;
}

export interface AdoptionMapping {
  adopted: AdoptedMigration[];
  /** Files the other tool has not applied: astra applies them next. */
  pending: string[];
  /** Why the ledger cannot be adopted as it is: versions without files, files skipped below applied ones. */
  problems: string[];
}

/**
 * Matches what another tool recorded with the folder's files: by version, or
 * by file name for node-pg-migrate (which records names). Every recorded
 * migration must have its file, and nothing may be left out below the newest
 * applied one (astra applies in order, and would take such a gap for a
 * damaged ledger).
 */
export function mapForeignLedger(reading: ForeignReading, migrations: Migration[], versions?: VersionRange): AdoptionMapping {
  const problems: string[] = [];
  const fileByVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const byName = new Map(migrations.map((migration) => [migration.file.replace(/\.sql$/, '').replace(/\.up$/, ''), migration]));
  const applied = new Map<MigrationVersion, { migration: Migration; appliedAt: Date | undefined }>();
  if (reading.upTo !== undefined && (!versions || inRange(reading.upTo, versions))) {
    // golang-migrate records where the database stands: every file up to it is applied.
    const upTo = reading.upTo;
    for (const migration of migrations) if (compareVersions(migration.version, upTo) <= 0) applied.set(migration.version, { migration, appliedAt: undefined });
    if (upTo !== 0 && !fileByVersion.has(upTo)) problems.push(`${reading.tool} is at version ${upTo}, and no file has that version`);
  }
  for (const record of reading.applied) {
    // A table shared by the databases of a project (AtlasAI's control and tenant ranges): the other ranges' rows are theirs.
    const number = recordVersion(record);
    if (versions && number !== undefined && !inRange(number, versions)) continue;
    const migration = record.name !== undefined ? byName.get(record.name) : fileByVersion.get(record.version!);
    if (!migration) {
      problems.push(`${reading.tool} applied ${record.name ?? `version ${record.version}`}, and no file of the folder is that migration`);
      continue;
    }
    if (record.checksum !== undefined && record.checksum !== flywayChecksum(migration.sql)) {
      problems.push(
        `${migration.file} changed after ${reading.tool} applied it (its checksum ${record.checksum}, the file's ${flywayChecksum(migration.sql)})`,
      );
      continue;
    }
    applied.set(migration.version, { migration, appliedAt: record.appliedAt });
  }
  const newest = maxVersion([...applied.keys()]) ?? 0;
  const skipped = migrations.filter((migration) => compareVersions(migration.version, newest) < 0 && !applied.has(migration.version));
  for (const migration of skipped) problems.push(`${migration.file} is not applied, yet later files are (astra applies in order)`);
  return {
    adopted: [...applied.values()]
      .map(({ migration, appliedAt }) => ({ version: migration.version, name: migration.name, file: migration.file, checksum: migration.checksum, appliedAt }))
      .sort(byVersion),
    pending: migrations
      .filter((migration) => !applied.has(migration.version) && compareVersions(migration.version, newest) > 0)
      .map((migration) => migration.file),
    problems,
  };
}

/** A repeatable migration another tool (Flyway) applied, matched with its R__ file. */
export interface AdoptedRepeatable {
  name: string;
  file: string;
  /** What astra records: the file's checksum when the tool applied the file as it is, else a mark no file matches. */
  checksum: string;
  appliedAt: Date;
  /** The file changed since the tool last applied it: the next `migrate up` runs it again, as the tool would. */
  changed: boolean;
}

/**
 * Matches the repeatable migrations Flyway applied with the folder's R__
 * files, by file name. One whose file changed since is adopted as changed
 * (astra runs it again next), since that is what Flyway would do; one
 * without a file is a problem.
 */
export function mapForeignRepeatables(
  reading: ForeignReading,
  files: { name: string; file: string; sql: string; checksum: string }[],
): { adopted: AdoptedRepeatable[]; problems: string[] } {
  const byFile = new Map(files.map((file) => [file.file, file]));
  const adopted: AdoptedRepeatable[] = [];
  const problems: string[] = [];
  for (const record of reading.repeatables) {
    const file = byFile.get(record.file);
    if (!file) {
      problems.push(`${reading.tool} applied the repeatable migration ${record.file}, and the folder has no such file`);
      continue;
    }
    const same = record.checksum !== null && record.checksum === flywayChecksum(file.sql);
    adopted.push({
      name: file.name,
      file: file.file,
      checksum: same ? file.checksum : `${reading.tool}:${record.checksum ?? 'none'}`,
      appliedAt: record.appliedAt,
      changed: !same,
    });
  }
  return { adopted, problems };
}
