import type { Database } from '../db/database.js';
import type { MigrationVersion } from '../migration-version.js';
import { AstraError, EXIT_BAD_INPUT } from '../errors.js';
import type { ReleaseNotes } from '../release/notes.js';
import type { CatalogReport } from '../seed/run.js';
import type { SeedCatalog } from '../seed/catalog.js';
import type { ChecklistItem } from './checks.js';
import type { UpgradePlan } from './plan.js';

/**
 * What the seed catalogs would change, read before the upgrade. A catalog
 * that is not valid stops the upgrade before anything changes; one that does
 * not fit its table yet, while migrations are pending, is judged after them
 * (they may add the columns it fills): `undefined` then.
 */
export async function seedPreview(db: Database, catalogs: SeedCatalog[], pending: number): Promise<CatalogReport[] | undefined> {
  const { loadCatalog, previewSeeds } = await import('../seed/run.js');
  for (const catalog of catalogs) loadCatalog(catalog);
  try {
    return await previewSeeds(db, catalogs);
  } catch (error) {
    if (pending > 0 && error instanceof AstraError && error.exitCode === EXIT_BAD_INPUT) return undefined;
    throw error;
  }
}

/** Whether every migration of the folder is applied once the upgrade is done: the catalogs are written for that schema. */
export function seedsApply(migrations: { version: MigrationVersion }[], rows: { version: MigrationVersion }[], plan: Pick<UpgradePlan, 'pending'>): boolean {
  const done = new Set([...rows.map((row) => row.version), ...plan.pending.map((migration) => migration.version)]);
  return migrations.every((migration) => done.has(migration.version));
}

/** The catalogs whose deletions no release of the upgrade declares (`seeds: [{ catalog, deletes: true, reason }]`). */
export function undeclared(preview: CatalogReport[], releases: ReleaseNotes[], plan: UpgradePlan): CatalogReport[] {
  const crossed = new Set(plan.releases.map((release) => release.version));
  const declared = new Set(
    releases.filter((release) => crossed.has(release.metadata.version)).flatMap((release) => (release.metadata.seeds ?? []).map((seed) => seed.catalog)),
  );
  const base = (name: string) => name.replace(/^.*[\\/]/, '');
  return preview.filter((report) => report.deleted > 0 && !declared.has(report.catalog) && !declared.has(base(report.catalog)));
}

/** The checklist item: catalogs read, and a deletion only where the release notes say so. */
export function seedsItem(preview: CatalogReport[] | undefined, releases: ReleaseNotes[], plan: UpgradePlan): ChecklistItem {
  const title = 'seed catalogs fit their tables; rows they delete are announced';
  if (!preview) return { id: 'seeds', title, status: 'ok', detail: 'checked after the migrations, which change the tables they fill' };
  const missing = undeclared(preview, releases, plan);
  if (missing.length > 0) {
    const first = missing[0]!;
    return {
      id: 'seeds',
      title,
      status: 'fail',
      detail: `${missing.map((report) => `${report.catalog} would delete ${report.deleted} row(s) of ${report.table}`).join('; ')}, and no release notes of this upgrade say so`,
      fix: `Say it in the release notes of ${plan.to} (seeds: [{ catalog: ${first.catalog.replace(/^.*[\\/]/, '')}, deletes: true, reason: … }]), or give the catalog back its rows.`,
    };
  }
  const sum = (field: 'added' | 'changed' | 'deleted') => preview.reduce((total, report) => total + report[field], 0);
  return {
    id: 'seeds',
    title,
    status: 'ok',
    detail: `${preview.length} catalog(s): ${sum('added')} row(s) to add, ${sum('changed')} to change, ${sum('deleted')} to delete`,
  };
}

export function catalogDeletions(preview: CatalogReport[] | undefined): UpgradePlan['catalogDeletions'] {
  return (preview ?? []).filter((report) => report.deleted > 0).map((report) => ({ catalog: report.catalog, table: report.table, rows: report.deleted }));
}
