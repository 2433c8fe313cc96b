import { readFileSync } from 'node:fs';
import type { LintFinding, LintOutcome } from '../analysis/outcome.js';
import type { Verdict } from '../analysis/types.js';
import { loadClickhouseMigrations } from './migrations.js';
import { statementKind } from './statements.js';

/**
 * The ClickHouse rules of `astra lint` (docs/rules/clickhouse-*.md):
 *
 * - clickhouse-mutation: `ALTER TABLE … UPDATE/DELETE` is a mutation, which
 *   rewrites every data part it touches in the background: hours on a large
 *   table, and it cannot be undone. Reported; it fails nothing.
 * - clickhouse-drop: dropping a table, view, dictionary, database or column,
 *   or truncating a table, loses data the application may read. Breaking: it
 *   fails lint unless `-- astra:allow clickhouse-drop <reason>` stands above it.
 * - clickhouse-if-not-exists: a CREATE without IF NOT EXISTS (a DROP without
 *   IF EXISTS) fails when run again, which is what a resumed migration does
 *   with a statement whose completion was not recorded. Reported.
 */
export const CLICKHOUSE_RULES = ['clickhouse-mutation', 'clickhouse-drop', 'clickhouse-if-not-exists'] as const;
type Rule = (typeof CLICKHOUSE_RULES)[number];

interface Hit {
  rule: Rule;
  verdict: Verdict;
  message: string;
  fix: string;
  table: string | null;
}

const NAME = String.raw`(?:[\w.]+|` + '`[^`]+`' + String.raw`(?:\.` + '`[^`]+`' + String.raw`)?)`;

function objectName(text: string, after: RegExp): string | null {
  const match = new RegExp(`${after.source}\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?(${NAME})`, 'i').exec(text);
  return match?.[1]?.replace(/`/g, '') ?? null;
}

/** What the rules find in one statement. */
export function clickhouseHits(text: string): Hit[] {
  const kind = statementKind(text);
  const hits: Hit[] = [];
  const body = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  if (kind === 'ALTER TABLE') {
    const table = objectName(body, /ALTER\s+TABLE/);
    // A mutation is an action of the ALTER: right after the table (and ON CLUSTER), or after a comma; not TTL … DELETE.
    const actions = body.replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
    const mutation = /^ALTER\s+TABLE\s+\S+(?:\s+ON\s+CLUSTER\s+\S+)?\s+(UPDATE|DELETE)\b|,\s*(UPDATE|DELETE)\s/i.exec(actions);
    const retyped = /\bMODIFY\s+COLUMN\s+(?:IF\s+EXISTS\s+)?\S+\s+(?!DEFAULT|MATERIALIZED|ALIAS|CODEC|TTL|COMMENT)\w/i.test(actions);
    if (mutation || retyped) {
      hits.push({
        rule: 'clickhouse-mutation',
        verdict: 'safe',
        table,
        message: `ALTER TABLE … ${mutation ? (mutation[1] ?? mutation[2])!.toUpperCase() : 'MODIFY COLUMN (a new type)'} is a mutation: ClickHouse rewrites every data part it touches in the background, which takes hours on a large table, competes with inserts and merges, and cannot be rolled back.`,
        fix: 'Prefer writing corrected rows (a ReplacingMergeTree or CollapsingMergeTree version) or recreating a derived table; if it must run, run it on a small partition (IN PARTITION) and watch system.mutations.',
      });
    }
    if (/\bDROP\s+(COLUMN|PARTITION|INDEX)\b/i.test(body)) {
      hits.push({
        rule: 'clickhouse-drop',
        verdict: 'breaking',
        table,
        message: `${/\bDROP\s+(\w+)/i.exec(body)![1]!.toUpperCase() === 'PARTITION' ? 'Dropping a partition deletes its rows' : 'Dropping a column or index removes what the application may still read'}, and cannot be undone.`,
        fix: 'Stop reading it in the application first (expand/contract), then drop it in a later release; acknowledge with -- astra:allow clickhouse-drop <reason>.',
      });
    }
  }
  if (/^(DROP|TRUNCATE)\b/.test(kind) || /^DETACH\b/.test(kind)) {
    const table = objectName(body, /^(?:DROP|TRUNCATE|DETACH)\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW|DICTIONARY|DATABASE)?/);
    hits.push({
      rule: 'clickhouse-drop',
      verdict: 'breaking',
      table,
      message: /^DETACH\b/.test(kind)
        ? `${kind} takes the object away from the application (its data stays on disk until ATTACH).`
        : `${kind} removes ${/TRUNCATE/.test(kind) ? 'every row of the table' : 'an object and its data'}, which the application may still read, and cannot be undone.`,
      fix: 'Stop using it in the application first, then drop it in a later release; acknowledge with -- astra:allow clickhouse-drop <reason>.',
    });
    if (/^DROP\b/.test(kind) && !/\bIF\s+EXISTS\b/i.test(body)) {
      hits.push({
        rule: 'clickhouse-if-not-exists',
        verdict: 'safe',
        table,
        message: `${kind} without IF EXISTS fails when the statement is run again (a migration resumed after a failure).`,
        fix: `Write ${kind} IF EXISTS.`,
      });
    }
  }
  if (
    /^CREATE\b/.test(kind) &&
    !/^CREATE OR REPLACE\b/.test(kind) &&
    /\b(TABLE|VIEW|DATABASE|DICTIONARY)$/.test(kind) &&
    !/\bIF\s+NOT\s+EXISTS\b/i.test(body)
  ) {
    hits.push({
      rule: 'clickhouse-if-not-exists',
      verdict: 'safe',
      table: objectName(body, /^CREATE\s+(?:TEMPORARY\s+)?(?:MATERIALIZED\s+)?(?:TABLE|VIEW|DATABASE|DICTIONARY)/),
      message: `${kind} without IF NOT EXISTS fails when the statement is run again (a migration resumed after a failure, or a database created by hand).`,
      fix: `Write ${kind} IF NOT EXISTS.`,
    });
  }
  return hits;
}

/** `-- astra:allow <rule> <reason>` on the lines right above line `line` (1-based) of `lines`. */
function allowedBy(lines: string[], line: number, rule: string): string | undefined {
  for (let index = line - 2; index >= 0; index--) {
    const text = lines[index]!.trim();
    if (text === '' || !text.startsWith('--')) return undefined;
    const match = /^--\s*astra:allow\s+([\w-]+)\s+(.+)$/.exec(text);
    if (match && match[1] === rule) return match[2]!.trim();
  }
  return undefined;
}

/** The ClickHouse rules over a database's migrations folder. Reads only files. */
export function lintClickhouse(folder: string, versions?: { from: number; to: number }): LintOutcome {
  const migrations = loadClickhouseMigrations(folder, versions);
  const findings: LintFinding[] = [];
  let statements = 0;
  for (const migration of migrations) {
    const lines = readFileSync(migration.path, 'utf8').split(/\r?\n/);
    for (const statement of migration.statements) {
      statements++;
      for (const hit of clickhouseHits(statement.text)) {
        const allowed = allowedBy(lines, statement.line, hit.rule);
        findings.push({
          rule: hit.rule,
          file: migration.file,
          line: statement.line,
          statement: statement.text,
          table: hit.table,
          lock: null,
          blocks: 'none',
          rewrite: hit.rule === 'clickhouse-mutation',
          scan: false,
          verdict: hit.verdict,
          message: hit.message,
          fix: hit.fix,
          ...(allowed !== undefined ? { allowed } : {}),
          status: hit.verdict === 'breaking' ? (allowed !== undefined ? 'allowed' : 'failing') : 'ok',
        });
      }
    }
  }
  return {
    migrations: migrations.length,
    statements,
    findings,
    labelViolations: [],
    failing: findings.filter((finding) => finding.status === 'failing').length,
    // ClickHouse statements run as written, one by one.
    runs: [],
  };
}
