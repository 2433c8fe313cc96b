import { parser } from '../sql-parser.js';
import type { Statement } from '../migrations/parse.js';
import { list, nodeOf, stringOf, unwrap, type Node } from './tree.js';

/** SQL inside a DO block that lint cannot read: what it is and where. */
export interface OpaqueSql {
  line: number;
  /** The expression or body, as written. */
  text: string;
  why: string;
}

export interface DoBlockContents {
  /** The statements the block runs, in the order written, with their lines in the file. */
  statements: Statement[];
  opaque: OpaqueSql[];
}

/**
 * Reads the SQL a DO block runs: its plain statements, and the EXECUTE of a
 * constant string (including $tag$-quoted ones). EXECUTE of a computed string
 * (format(), concatenation, a variable), a body in another language and a body
 * that does not parse are opaque: lint cannot say what they lock.
 * Statements under IF or in a loop are read as if they run.
 */
export function readDoBlock(statement: Statement): DoBlockContents {
  const options = list(statement.node.args).flatMap((arg) => {
    const element = nodeOf(arg, 'DefElem');
    return element ? [element] : [];
  });
  const language = stringOf(options.find((option) => option.defname === 'language')?.arg)?.toLowerCase() ?? 'plpgsql';
  const whole = { line: statement.line, text: statement.text };
  if (language !== 'plpgsql') return { statements: [], opaque: [{ ...whole, why: `the block is written in ${language}, which lint does not read` }] };

  let tree: unknown;
  try {
    tree = parser().parsePlPgSQLSync(statement.text);
  } catch (error) {
    return { statements: [], opaque: [{ ...whole, why: `the PL/pgSQL body does not parse: ${(error as Error).message}` }] };
  }
  const firstLine = statement.line + bodyLineOffset(statement.text);
  const contents: DoBlockContents = { statements: [], opaque: [] };
  visitPlpgsql(tree, (kind, node) => {
    const line = firstLine + Math.max(0, Number(node.lineno ?? 1) - 1);
    if (kind === 'PLpgSQL_stmt_execsql') {
      const query = expressionText(node.sqlstmt);
      if (query) contents.statements.push(...embeddedStatements(query, line, statement));
    } else if (kind === 'PLpgSQL_stmt_dynexecute') {
      const expression = expressionText(node.query) ?? '';
      const constant = constantString(expression) ?? formatTemplate(expression);
      if (constant === undefined) contents.opaque.push({ line, text: expression, why: 'EXECUTE runs a string computed when the block runs' });
      else {
        try {
          contents.statements.push(...embeddedStatements(constant, line, statement));
        } catch (error) {
          contents.opaque.push({ line, text: constant, why: `the EXECUTEd string does not parse: ${(error as Error).message}` });
        }
      }
    }
  });
  return contents;
}

function expressionText(value: unknown): string | undefined {
  const query = nodeOf(value, 'PLpgSQL_expr')?.query;
  return typeof query === 'string' ? query : undefined;
}

/** Walks the PL/pgSQL tree, calling `visit` for every statement node. */
function visitPlpgsql(value: unknown, visit: (kind: string, node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitPlpgsql(item, visit);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const found = unwrap(value);
  if (found && found[0].startsWith('PLpgSQL_stmt_')) visit(found[0], found[1]);
  for (const child of Object.values(found ? found[1] : (value as Node))) visitPlpgsql(child, visit);
}

/** A string constant node's value (`'...'` or `$tag$...$tag$`). */
function stringConstant(value: unknown): string | undefined {
  const constant = nodeOf(value, 'A_Const');
  const text = (nodeOf(constant?.sval, 'String') ?? (constant?.sval as Node | undefined))?.sval;
  return typeof text === 'string' ? text : undefined;
}

/** The value of an expression that is one string constant, e.g. `'CREATE INDEX ...'`; undefined otherwise. */
export function constantString(expression: string): string | undefined {
  try {
    const select = nodeOf(parser().parseSync(`SELECT ${expression}`).stmts?.[0]?.stmt, 'SelectStmt');
    const targets = list(select?.targetList);
    if (targets.length !== 1 || list(select?.fromClause).length > 0) return undefined;
    return stringConstant(nodeOf(targets[0], 'ResTarget')?.val);
  } catch {
    return undefined;
  }
}

/**
 * `format('<constant>', args...)` whose constant uses only %I and %L (and %%):
 * the SQL with each name written as `"{arg}"` (the argument's text) and each
 * literal as `'{arg}'`. Lint knows nothing about such a name, so it treats it
 * as an existing table or column: the worst case. Undefined for anything else.
 */
export function formatTemplate(expression: string): string | undefined {
  let call: Node | undefined;
  try {
    const select = nodeOf(parser().parseSync(`SELECT ${expression}`).stmts?.[0]?.stmt, 'SelectStmt');
    const targets = list(select?.targetList);
    call = targets.length === 1 ? nodeOf(nodeOf(targets[0], 'ResTarget')?.val, 'FuncCall') : undefined;
  } catch {
    return undefined;
  }
  const name = list(call?.funcname).map(stringOf).at(-1);
  const [template, ...args] = list(call?.args);
  const text = stringConstant(template);
  // Only %I, %L, %% and their positional forms: a %s or a width could be anything.
  if (name !== 'format' || text === undefined || text.replace(/%(?:\d+\$)?[IL%]/g, '').includes('%')) return undefined;
  // A constant argument stands for itself; anything else by its text in braces, e.g. "{memory_table}".
  const values = args.map((arg, index) => {
    const value = stringConstant(arg);
    if (value !== undefined) return { value };
    const fields = list(nodeOf(arg, 'ColumnRef')?.fields).map(stringOf);
    return { value: `{${fields.length > 0 && fields.every((field) => field !== undefined) ? fields.join('.') : `argument ${index + 2}`}}` };
  });
  let next = 0;
  let failed = false;
  const sql = text.replace(/%(?:(\d+)\$)?([IL%])/g, (_match, position: string | undefined, type: string) => {
    if (type === '%') return '%';
    const index = position ? Number(position) - 1 : next++;
    const argument = values[index];
    if (argument === undefined) {
      failed = true;
      return '';
    }
    return type === 'I' ? `"${argument.value.replace(/"/g, '""')}"` : `'${argument.value.replace(/'/g, "''")}'`;
  });
  return failed ? undefined : sql;
}

function embeddedStatements(sql: string, line: number, parent: Statement): Statement[] {
  const tree = parser().parseSync(sql);
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).map((raw) => {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const [kind, node] = Object.entries(raw.stmt ?? {})[0] ?? ['Unknown', {}];
    return { index: parent.index, text: bytes.subarray(start, end).toString('utf8').trim(), line, kind, node: node as Record<string, unknown> };
  });
}

/** A DO block's body as written between its quotes, and the line of the file it starts on. */
export function doBlockBody(statement: Statement): { text: string; firstLine: number } | undefined {
  const body = list(statement.node.args)
    .map((arg) => nodeOf(arg, 'DefElem'))
    .find((option) => option?.defname === 'as');
  const text = stringOf(body?.arg);
  return text === undefined ? undefined : { text, firstLine: statement.line + bodyLineOffset(statement.text) };
}

/** Lines between the start of a DO statement and the first line of its body (the line of its opening quote). */
function bodyLineOffset(text: string): number {
  try {
    const body = parser()
      .scanSync(text)
      .tokens.find((token) => token.tokenName === 'SCONST');
    if (!body) return 0;
    const before = Buffer.from(text, 'utf8').subarray(0, body.start).toString('utf8');
    return before.split('\n').length - 1;
  } catch {
    return 0;
  }
}
