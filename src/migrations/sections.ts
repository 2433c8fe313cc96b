import { inputError } from '../errors.js';

/** Tools whose migration files hold the up and the down migration in one file, between marker comments. */
export type SectionTool = 'dbmate' | 'goose' | 'node-pg-migrate';

export interface Sections {
  /** The tool whose markers the file uses; undefined for a file without markers (all of it is the up migration). */
  tool: SectionTool | undefined;
  /**
   * The up migration. Every other line is blanked rather than cut, so that
   * the parser's line numbers are the file's own.
   */
  up: string;
  /** The down migration, blanked the same way; undefined when the file has none. */
  down: string | undefined;
  /** False when the up part asks to run without a transaction (dbmate's `transaction:false` on its marker, goose's `NO TRANSACTION`). */
  transaction: boolean;
  /** The same for the down part (dbmate's option on the down marker; goose's applies to both). */
  downTransaction: boolean;
}

type Marker =
  | { tool: SectionTool; kind: 'up' | 'down' | 'begin' | 'end' | 'no-transaction'; options?: string }
  | { tool: SectionTool; unknown: string; foreign?: boolean };

/** What a line says, when it is a marker of one of the tools. */
function markerOf(line: string): Marker | undefined {
  const trimmed = line.trim();
  // Every marker is a comment: the patterns below are not tried on SQL.
  if (!trimmed.startsWith('--')) return undefined;
  const dbmate = /^--\s*migrate:(\S*)\s*(.*)$/.exec(trimmed);
  if (dbmate) {
    const [, word = '', options = ''] = dbmate;
    if (word === 'up' || word === 'down') return { tool: 'dbmate', kind: word, options: options.trim() };
    return { tool: 'dbmate', unknown: trimmed };
  }
  const goose = /^--\s*\+goose\s+(.*)$/i.exec(trimmed);
  if (goose) {
    const words = goose[1]!.trim().toLowerCase().replace(/\s+/g, ' ');
    const kinds: Record<string, 'up' | 'down' | 'begin' | 'end' | 'no-transaction'> = {
      up: 'up',
      down: 'down',
      statementbegin: 'begin',
      statementend: 'end',
      'no transaction': 'no-transaction',
    };
    const kind = kinds[words];
    return kind ? { tool: 'goose', kind } : { tool: 'goose', unknown: trimmed };
  }
  // As node-pg-migrate itself finds them (any comment that begins so), lest a down part be read as a comment and run.
  const nodePgMigrate = /^--[\s-]*(up|down)\s+migration/i.exec(trimmed);
  if (nodePgMigrate) return { tool: 'node-pg-migrate', kind: nodePgMigrate[1]!.toLowerCase() as 'up' | 'down' };
  // The shape of another tool's marker (sql-migrate's `-- +migrate Up`, a goose marker written `-- + goose Down`):
  // read as a comment, its down part would run with the up part.
  const foreign = /^--\s*\+\s*(\w+)\s+(up|down)\b/i.exec(trimmed);
  if (foreign) return { tool: 'goose', unknown: trimmed, foreign: true };
  return undefined;
}

/** dbmate's options after `-- migrate:up`: only `transaction:true|false` exists. */
function dbmateTransaction(options: string | undefined, file: string, line: number): boolean | undefined {
  if (!options) return undefined;
  let transaction: boolean | undefined;
  for (const option of options.split(/\s+/)) {
    const match = /^transaction:(true|false)$/.exec(option);
    if (!match) throw inputError(`${file}, line ${line}: dbmate option "${option}" is not one astra knows (transaction:false is).`, 'Remove it; nothing was applied.');
    transaction = match[1] === 'true';
  }
  return transaction;
}

/** A file without markers: all of it is the up migration, run in a transaction. */
const allUp = (sql: string): Sections => ({ tool: undefined, up: sql, down: undefined, transaction: true, downTransaction: true });

/**
 * Splits a migration file into its up and down parts by the markers of
 * dbmate (`-- migrate:up`, `-- migrate:down`), goose (`-- +goose Up`,
 * `-- +goose Down`, `StatementBegin`/`StatementEnd`, `NO TRANSACTION`) or
 * node-pg-migrate (`-- Up Migration`, `-- Down Migration`). A file without
 * markers is all up migration. What astra cannot read for sure is an input
 * error, never run: markers of two tools, a marker it does not know, SQL
 * before the up marker, a down part without an up part, a part given twice.
 */
export function splitSections(sql: string, file: string): Sections {
  // No comment, no marker: the whole file is the up part.
  if (!sql.includes('--')) return allUp(sql);
  const lines = sql.split('\n');
  let tool: SectionTool | undefined;
  let part: 'before' | 'up' | 'down' = 'before';
  let transaction = true;
  let downTransaction = true;
  // Which part each line belongs to; 'stray' is SQL before any marker.
  const owner: ('up' | 'down' | 'stray' | undefined)[] = [];
  const seen = new Set<string>();
  lines.forEach((text, index) => {
    const line = index + 1;
    const marker = markerOf(text);
    if (!marker) {
      const isSql = text.trim() !== '' && !text.trim().startsWith('--');
      owner.push(part !== 'before' ? part : isSql ? 'stray' : undefined);
      return;
    }
    owner.push(undefined);
    if ('foreign' in marker) {
      throw inputError(
        `${file}, line ${line}: "${marker.unknown}" looks like an up/down marker of a tool astra does not read, so it cannot tell what the file runs.`,
        "Write the file with dbmate's, goose's or node-pg-migrate's markers, or as plain SQL; nothing was applied.",
      );
    }
    if (tool !== undefined && marker.tool !== tool) {
      throw inputError(`${file}, line ${line}: a ${marker.tool} marker in a file that uses ${tool}'s markers.`, 'Use one tool\'s markers per file; nothing was applied.');
    }
    tool = marker.tool;
    if ('unknown' in marker) {
      throw inputError(`${file}, line ${line}: astra does not know the ${marker.tool} marker "${marker.unknown}", so it cannot tell what the file runs.`, 'Remove it or rewrite the file; nothing was applied.');
    }
    if (marker.kind === 'no-transaction') {
      transaction = false;
      downTransaction = false;
      return;
    }
    if (marker.kind === 'begin' || marker.kind === 'end') return;
    if (seen.has(marker.kind)) throw inputError(`${file}, line ${line}: a second ${marker.kind} marker.`, 'Give each part once; nothing was applied.');
    if (marker.kind === 'down' && !seen.has('up')) throw inputError(`${file}, line ${line}: the down part comes before any up part.`, 'Put the up part first; nothing was applied.');
    seen.add(marker.kind);
    part = marker.kind;
    const asked = dbmateTransaction(marker.options, file, line);
    if (marker.kind === 'up') transaction = asked ?? transaction;
    else downTransaction = asked ?? downTransaction;
  });
  if (tool === undefined) return allUp(sql);
  const stray = owner.indexOf('stray');
  if (stray >= 0) {
    throw inputError(`${file}, line ${stray + 1}: SQL before the up marker, which ${tool} would not run as part of the migration.`, 'Move it below the up marker; nothing was applied.');
  }
  if (!seen.has('up')) throw inputError(`${file}: ${tool} markers without an up part.`, 'Add the up marker; nothing was applied.');
  const keep = (which: 'up' | 'down') => lines.map((text, index) => (owner[index] === which ? text : '')).join('\n');
  const down = keep('down');
  return { tool, up: keep('up'), down: seen.has('down') && down.trim() !== '' ? down : undefined, transaction, downTransaction };
}
