import type { CatalogReport } from '../../seed/run.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

/** What differs from the shipped catalogs: in insert mode only missing rows count (existing ones are the operator's to edit). */
export function judgeCatalogs(reports: CatalogReport[]): CheckOutcome {
  const differing = reports.filter((report) => report.added + report.changed + report.deleted > 0);
  if (differing.length === 0) {
    return { status: 'ok', detail: `${reports.length} catalog(s) match their tables (${reports.reduce((sum, report) => sum + report.unchanged, 0)} row(s))` };
  }
  const parts = differing.map((report) => {
    const what = [
      report.tableMissing ? 'its table does not exist' : '',
      !report.tableMissing && report.added > 0 ? `${report.added} row(s) missing` : '',
      report.changed > 0 ? `${report.changed} row(s) differ` : '',
      report.deleted > 0 ? `${report.deleted} row(s) not in the catalog` : '',
    ].filter(Boolean);
    return `${report.catalog} → ${report.table}: ${what.join(', ')}`;
  });
  return { status: 'warn', detail: parts.join('; '), fix: 'See the rows with astra seed --dry-run; apply the catalogs with astra seed.' };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { previewSeeds } = await import('../../seed/run.js');
  return judgeCatalogs(await previewSeeds(db, input.seeds));
}

export const seedCatalogs: DoctorCheck = {
  id: 'seed-catalogs',
  title: 'seed catalogs',
  area: 'schema',
  connection: 'needs',
  enabled: (input) => input.seeds.length > 0,
  run,
};
