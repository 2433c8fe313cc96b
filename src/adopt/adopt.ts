import { createBackup } from '../backup/create.js';
import type { MigrationVersion } from '../migration-version.js';
import { findForeignLedgers, readForeignLedger, type ForeignTool } from '../db/foreign-ledgers.js';
import { Ledger } from '../db/ledger.js';
import type { Context } from '../engine/context.js';
import { withDatabase, withRunLock } from '../engine/run-lock.js';
import { inputError, operationError } from '../errors.js';
import { loadMigrations, readRepeatableFiles } from '../migrations/load.js';
import { RepeatableLedger } from '../db/repeatable-ledger.js';
import { mapForeignLedger, mapForeignRepeatables } from './map.js';
import { refuseRangedRepeatables } from '../migrations/runner.js';

export interface AdoptOptions {
  from: ForeignTool;
  /** The other tool's table, when it was told another than its default (name or schema.name). */
  table?: string | undefined;
  dryRun: boolean;
  noBackup: boolean;
  lockWaitMs: number;
  pgBinDir?: string | undefined;
}

export interface AdoptReport {
  database: string;
  from: ForeignTool;
  /** The other tool's ledger, left as it was. */
  table: string;
  dryRun: boolean;
  adopted: { version: MigrationVersion; file: string; appliedAt: string | null }[];
  /** Files the other tool had not applied: the next `migrate up` applies them. */
  pending: string[];
  /** Repeatable migrations (Flyway's R__) the tool applied; `changed`: the file changed since, so the next migrate up runs it again. */
  repeatables?: { file: string; changed: boolean }[];
  backup: { id: string } | null;
}

/**
 * `astra adopt --from <tool>`: takes over a database another tool migrated.
 * Reads that tool's ledger where it keeps it, matches each applied migration
 * with its file, shows the mapping and, with consent, takes a backup and
 * writes astra's ledger rows (marked with the tool's name) in one
 * transaction under the run lock. The other tool's ledger is left untouched,
 * so going back to it stays possible. Anything that does not add up (a dirty
 * or failed migration, a recorded version without its file, a gap) refuses,
 * changing nothing.
 */
export async function adoptDatabase(context: Context, options: AdoptOptions): Promise<AdoptReport> {
  const { from } = options;
  const migrations = await loadMigrations(context.migrationsDir, context.versions);
  const repeatableFiles = readRepeatableFiles(context.migrationsDir);
  refuseRangedRepeatables(context, repeatableFiles);
  return withDatabase(context, (db) =>
    withRunLock(context, db, options.lockWaitMs, async () => {
      const label = db.target.label;
      const existing = await (await Ledger.open(db, { create: false })).rows();
      if (existing.length > 0) {
        throw operationError(
          `astra's ledger of ${label} already records ${existing.length} migration(s): astra manages this database, and there is nothing to adopt; nothing was changed.`,
          'Run astra status to see where it stands.',
        );
      }
      const found = (await findForeignLedgers(db, options.table)).filter((ledger) => ledger.tool === from);
      if (found.length === 0) {
        const others = (await findForeignLedgers(db)).map((ledger) => `${ledger.tool} (${ledger.shown})`);
        throw operationError(
          `${label} has no ${from} ledger${options.table ? ` at ${options.table}` : ''}${others.length > 0 ? `; it has ${others.join(', ')}` : ''}; nothing was changed.`,
          others.length > 0
            ? `Name the tool that migrated it with --from.`
            : `If ${from} was told to keep its ledger in another table, pass --table <schema.table>.`,
        );
      }
      if (found.length > 1) {
        throw inputError(
          `${label} has ${found.length} ${from} ledgers (${found.map((ledger) => ledger.shown).join(', ')}).`,
          'Say which one with --table <schema.table>.',
        );
      }
      const ledger = found[0]!;
      const reading = await readForeignLedger(db, ledger);
      const mapping = mapForeignLedger(reading, migrations, context.versions);
      const repeatables = mapForeignRepeatables(reading, repeatableFiles);
      const problems = [...reading.problems, ...mapping.problems, ...repeatables.problems];
      if (problems.length > 0) {
        throw operationError(
          `${from}'s ledger ${ledger.shown} cannot be adopted: ${problems.join('; ')}; nothing was changed.`,
          `Settle what is named (with ${from}, or in the files), then run astra adopt again.`,
        );
      }
      context.log.info(`${from} applied ${mapping.adopted.length} migration(s) to ${label} (its ledger: ${ledger.shown}):`);
      for (const migration of mapping.adopted) context.log.info(`  ${migration.file}`);
      for (const repeatable of repeatables.adopted) {
        context.log.info(`  ${repeatable.file} (repeatable${repeatable.changed ? `; changed since ${from} applied it: astra migrate up runs it again` : ''})`);
      }
      if (mapping.pending.length > 0) context.log.info(`Not applied yet (astra migrate up applies them next): ${mapping.pending.join(', ')}`);
      const report: AdoptReport = {
        database: label,
        from,
        table: ledger.shown,
        dryRun: options.dryRun,
        adopted: mapping.adopted.map((migration) => ({
          version: migration.version,
          file: migration.file,
          appliedAt: migration.appliedAt?.toISOString() ?? null,
        })),
        pending: mapping.pending,
        ...(repeatables.adopted.length > 0 ? { repeatables: repeatables.adopted.map(({ file, changed }) => ({ file, changed })) } : {}),
        backup: null,
      };
      if (options.dryRun) {
        context.log.info('Dry run: nothing was changed.');
        return report;
      }
      const also = repeatables.adopted.length > 0 ? ` and ${repeatables.adopted.length} repeatable migration(s)` : '';
      const question = `Record these ${mapping.adopted.length} migration(s)${also} as applied in astra's ledger of ${label}?`;
      if (!context.yes) {
        if (!context.confirm)
          throw inputError(
            `astra adopt changes ${label}'s ledger and needs consent: nothing was changed.`,
            'Run it again with --yes (after reading the mapping with --dry-run).',
          );
        if (!(await context.confirm(question, false))) throw operationError('Not adopted: nothing was changed.');
      }
      if (!options.noBackup) {
        const manifest = await createBackup(context, db, options.pgBinDir ? { pgBinDir: options.pgBinDir } : {});
        report.backup = { id: manifest.id };
      }
      await db.transaction(async () => {
        const ours = await Ledger.open(db, { create: true });
        await ours.recordAdopted(mapping.adopted, from);
        const recorded = await RepeatableLedger.open(db, ours);
        for (const repeatable of repeatables.adopted) await recorded.recordApplied({ ...repeatable, durationMs: 0, adoptedFrom: from });
      });
      context.log.info(`Adopted ${mapping.adopted.length} migration(s)${also} from ${from}; its ledger ${ledger.shown} is left as it was.`);
      return report;
    }),
  );
}
