/**
 * The statements of a ClickHouse migration file. The HTTP interface runs one
 * statement per request, so a file is cut at its semicolons, found as
 * ClickHouse's own lexer (src/Parsers/Lexer.cpp) finds tokens:
 *
 * - strings in '…', identifiers in "…" and `…`, where a quote is escaped by
 *   doubling it ('it''s') or by a backslash ('it\'s');
 * - heredoc strings, $$…$$ or $tag$…$tag$ (a `$` without its closing
 *   heredoc is an ordinary character, as for the lexer);
 * - line comments: `--`, `//`, and `#` followed by a space or `!` (current
 *   ClickHouse reads these as comments; 18.x refuses any `#`, so a file
 *   using them fails on the server, never by a wrong cut). Any other `#` is
 *   an ordinary character;
 * - block comments, which nest: /* a /* b *\/ c *\/ is one comment (current
 *   ClickHouse nests them; 18.x ends the comment at the first *\/ and then
 *   refuses the rest).
 */

/** A statement of a file and the line (1-based) its first token is on. */
export interface Statement {
  /**
   * From the statement's first token to its last character before the `;`:
   * comments before the first token are left out, comments within and after
   * it are kept (the text may end in a line comment).
   */
  text: string;
  line: number;
}

/** A string, quoted identifier or block comment not closed at the end of the text. */
export class UnclosedSqlError extends Error {
  /** The line (1-based) where it opens. */
  readonly line: number;

  constructor(what: string, line: number) {
    super(`the ${what} opened on line ${line} is not closed by the end of the file`);
    this.name = 'UnclosedSqlError';
    this.line = line;
  }
}

const NEWLINE = 10;

/** What each quote character opens, as an error message names it. */
const QUOTED = new Map([
  ["'", 'string'],
  ['"', 'quoted identifier ("…")'],
  ['`', 'quoted identifier (`…`)'],
]);

/**
 * The statements of `sql` in order, each trimmed, without its terminating `;`.
 * Statements with nothing but whitespace and comments are left out. Throws an
 * UnclosedSqlError for a string, quoted identifier or block comment the file
 * does not close.
 */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let index = 0;
  let line = 1;
  // Where the current statement's first token is; -1 before it.
  let start = -1;
  let startLine = 0;
  const advance = (to: number) => {
    for (; index < to; index++) if (sql.charCodeAt(index) === NEWLINE) line++;
  };
  while (index < sql.length) {
    const char = sql[index]!;
    if (char === ';') {
      if (start >= 0) statements.push({ text: sql.slice(start, index).trim(), line: startLine });
      start = -1;
      advance(index + 1);
      continue;
    }
    const comment = commentEnd(sql, index);
    if (comment !== undefined) {
      if (comment === -1) throw new UnclosedSqlError('block comment', line);
      advance(comment);
      continue;
    }
    if (/\s/.test(char)) {
      advance(index + 1);
      continue;
    }
    if (start < 0) {
      start = index;
      startLine = line;
    }
    const quoted = QUOTED.get(char);
    if (quoted) {
      const end = quotedEnd(sql, index);
      if (end === -1) throw new UnclosedSqlError(quoted, line);
      advance(end);
      continue;
    }
    advance(heredocEnd(sql, index) ?? index + 1);
  }
  if (start >= 0) statements.push({ text: sql.slice(start).trim(), line: startLine });
  return statements;
}

/**
 * What a statement is, by its first keywords, upper-cased: 'SELECT',
 * 'INSERT', 'OPTIMIZE'…, and for CREATE, ALTER, DROP, ATTACH and DETACH the
 * words up to the kind of object: 'CREATE TABLE', 'CREATE MATERIALIZED VIEW',
 * 'CREATE OR REPLACE TABLE', 'ALTER TABLE', 'DROP DATABASE'. Comments before
 * the first keyword are skipped. Empty when the text starts with no keyword.
 */
export function statementKind(text: string): string {
  const words: string[] = [];
  let index = 0;
  while (index < text.length && words.length < 6) {
    const comment = commentEnd(text, index);
    if (comment !== undefined) {
      if (comment === -1) break;
      index = comment;
      continue;
    }
    if (/\s/.test(text[index]!)) {
      index++;
      continue;
    }
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = index;
    const found = word.exec(text);
    if (!found) break;
    words.push(found[0].toUpperCase());
    index = word.lastIndex;
  }
  const [verb = ''] = words;
  if (!OBJECT_VERBS.has(verb)) return verb;
  const object = words.findIndex((word, at) => at > 0 && OBJECTS.has(word));
  return object === -1 ? verb : words.slice(0, object + 1).join(' ');
}

const OBJECT_VERBS = new Set(['CREATE', 'ALTER', 'DROP', 'ATTACH', 'DETACH']);
const OBJECTS = new Set(['TABLE', 'VIEW', 'DATABASE', 'DICTIONARY', 'FUNCTION', 'INDEX', 'USER', 'ROLE']);

/**
 * Where the comment starting at `index` ends (after a line comment's text,
 * before its newline; after a block comment's closing *\/), -1 for a block
 * comment that is not closed, undefined when no comment starts there.
 */
function commentEnd(sql: string, index: number): number | undefined {
  const pair = sql.slice(index, index + 2);
  if (pair === '--' || pair === '//' || pair === '# ' || pair === '#!') {
    const newline = sql.indexOf('\n', index);
    return newline === -1 ? sql.length : newline;
  }
  if (pair !== '/*') return undefined;
  let depth = 1;
  for (let at = index + 2; at < sql.length - 1;) {
    const next = sql.slice(at, at + 2);
    if (next === '/*') {
      depth++;
      at += 2;
    } else if (next === '*/') {
      depth--;
      at += 2;
      if (depth === 0) return at;
    } else at++;
  }
  return -1;
}

/** Where the string or quoted identifier opening at `index` ends (after its closing quote); -1 when it is not closed. */
function quotedEnd(sql: string, index: number): number {
  const quote = sql[index];
  for (let at = index + 1; at < sql.length; at++) {
    const char = sql[at];
    if (char === '\\') at++;
    else if (char === quote) {
      if (sql[at + 1] !== quote) return at + 1;
      at++;
    }
  }
  return -1;
}

/** Where the heredoc ($tag$…$tag$) opening at `index` ends; undefined when none opens there or it is not closed. */
function heredocEnd(sql: string, index: number): number | undefined {
  // Inside a word ($ may be part of an identifier), a $ opens nothing.
  if (index > 0 && /[A-Za-z0-9_$]/.test(sql[index - 1]!)) return undefined;
  const opening = /\$[A-Za-z0-9_]*\$/y;
  opening.lastIndex = index;
  const tag = opening.exec(sql)?.[0];
  if (tag === undefined) return undefined;
  const closing = sql.indexOf(tag, index + tag.length);
  return closing === -1 ? undefined : closing + tag.length;
}
