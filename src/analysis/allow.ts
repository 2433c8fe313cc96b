import { parser } from '../sql-parser.js';

/** `-- astra:allow <rule-id> <reason>`: a person's acknowledgement of one finding. */
export interface AllowComment {
  /** Line of the comment. */
  line: number;
  rule: string;
  reason: string;
}

export interface AllowComments {
  /** By the line of the statement they stand above. */
  byStatementLine: Map<number, AllowComment[]>;
  /** Malformed ones: a sentence each, naming the file and line. */
  problems: string[];
}

const MARKER = 'astra:allow';

/**
 * Finds the `-- astra:allow` comments of a file with the SQL scanner (so a
 * marker inside a string is not one) and attaches each to the statement that
 * starts on the first line after its block of comment lines. A reason is
 * required; an unknown rule id is a mistake too.
 */
export function readAllowComments(sql: string, file: string, knownRules: ReadonlySet<string>, firstLine = 1): AllowComments {
  const result: AllowComments = { byStatementLine: new Map(), problems: [] };
  let tokens: ReturnType<ReturnType<typeof parser>['scanSync']>['tokens'];
  try {
    tokens = parser().scanSync(sql).tokens;
  } catch {
    return result;
  }
  const bytes = Buffer.from(sql, 'utf8');
  const lineInText = lineCounter(bytes);
  const lineOf = (offset: number) => lineInText(offset) + firstLine - 1;
  /** Lines that hold only a `--` comment. */
  const commentLines = new Set<number>();
  const codeLines = new Set<number>();
  for (const token of tokens) {
    const line = lineOf(token.start);
    if (token.tokenName === 'SQL_COMMENT') commentLines.add(line);
    else if (token.tokenName !== 'C_COMMENT') for (let l = line; l <= lineOf(Math.max(token.start, token.end - 1)); l++) codeLines.add(l);
  }
  for (const token of tokens) {
    if (token.tokenName !== 'SQL_COMMENT') continue;
    const body = token.text.replace(/^--\s*/, '');
    if (!body.startsWith(MARKER)) continue;
    const line = lineOf(token.start);
    const [rule = '', ...words] = body.slice(MARKER.length).trim().split(/\s+/);
    const reason = words.join(' ').trim();
    if (!rule) {
      result.problems.push(`${file}, line ${line}: "-- astra:allow" names no rule; write "-- astra:allow <rule-id> <reason>"`);
      continue;
    }
    if (!knownRules.has(rule)) {
      result.problems.push(`${file}, line ${line}: "-- astra:allow ${rule}" names no rule astra knows (see docs/rules/)`);
      continue;
    }
    if (!reason) {
      result.problems.push(`${file}, line ${line}: "-- astra:allow ${rule}" gives no reason; say why this is acceptable after the rule id`);
      continue;
    }
    // The statement is on the first line below the comment block that holds code.
    let next = line + 1;
    while (commentLines.has(next) && !codeLines.has(next)) next++;
    if (!codeLines.has(next)) {
      result.problems.push(
        `${file}, line ${line}: "-- astra:allow ${rule}" stands above no statement; put it on the line(s) right above the statement it is for`,
      );
      continue;
    }
    const list = result.byStatementLine.get(next) ?? [];
    list.push({ line, rule, reason });
    result.byStatementLine.set(next, list);
  }
  return result;
}

function lineCounter(bytes: Buffer): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}
