import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeMigrations, type AnalysisOptions, type MigrationAnalysis } from '../../../src/analysis/analyze.js';
import { loadParser, parseStatements } from '../../../src/migrations/parse.js';

export const ruleFixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'lint-rules');

await loadParser();

/** Analyses `sql` as one migration, after `earlier` migrations (each a SQL text). Returns the last migration's analysis. */
export function analyzeSql(sql: string, earlier: string[] = [], options: AnalysisOptions = {}): MigrationAnalysis {
  const sources = [...earlier, sql].map((text, index) => ({
    file: `00${index + 1}-case.sql`,
    sql: text,
    statements: parseStatements(text, `00${index + 1}-case.sql`),
  }));
  return analyzeMigrations(sources, options).at(-1)!;
}

/** Analyses a rule's fixture (`ok.sql` or `err.sql`) after its `setup.sql`, when it has one. */
export function analyzeFixture(rule: string, name: 'ok.sql' | 'err.sql', options: AnalysisOptions = {}): MigrationAnalysis {
  const folder = join(ruleFixtures, rule);
  const setup = join(folder, 'setup.sql');
  return analyzeSql(readFileSync(join(folder, name), 'utf8'), existsSync(setup) ? [readFileSync(setup, 'utf8')] : [], options);
}
