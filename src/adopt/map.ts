import { recordVersion, type ForeignReading } from '../db/foreign-ledgers.js';
import type { Migration } from '../migrations/load.js';
import { inRange, type VersionRange } from '../migrations/discover.js';
import { flywayChecksum } from './flyway-checksum.js';

/** One migration the other tool applied, matched with its file. */
export interface AdoptedMigration {
  version: number;
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
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
  const byName = new Map(migrations.map((migration) => [migration.file.replace(/\.sql$/, '').replace(/\.up$/, ''), migration]));
  const applied = new Map<number, { migration: Migration; appliedAt: Date | undefined }>();
  if (reading.upTo !== undefined && (!versions || inRange(reading.upTo, versions))) {
    // golang-migrate records where the database stands: every file up to it is applied.
    for (const migration of migrations) if (migration.version <= reading.upTo) applied.set(migration.version, { migration, appliedAt: undefined });
    if (reading.upTo > 0 && !byVersion.has(reading.upTo)) problems.push(`${reading.tool} is at version ${reading.upTo}, and no file has that version`);
  }
  for (const record of reading.applied) {
    // A table shared by the databases of a project (AtlasAI's control and tenant ranges): the other ranges' rows are theirs.
    const number = recordVersion(record);
    if (versions && number !== undefined && !inRange(number, versions)) continue;
    const migration = record.name !== undefined ? byName.get(record.name) : byVersion.get(record.version!);
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
  const newest = Math.max(0, ...applied.keys());
  const skipped = migrations.filter((migration) => migration.version < newest && !applied.has(migration.version));
  for (const migration of skipped) problems.push(`${migration.file} is not applied, yet later files are (astra applies in order)`);
  return {
    adopted: [...applied.values()]
      .sort((a, b) => a.migration.version - b.migration.version)
      .map(({ migration, appliedAt }) => ({ version: migration.version, name: migration.name, file: migration.file, checksum: migration.checksum, appliedAt })),
    pending: migrations.filter((migration) => !applied.has(migration.version) && migration.version > newest).map((migration) => migration.file),
    problems,
  };
}
