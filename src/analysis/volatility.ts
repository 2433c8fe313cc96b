import { nameParts, walk } from './tree.js';

/**
 * Whether an expression gives a different value on every call (volatile) or
 * the same one within a statement (stable, immutable). ADD COLUMN ... DEFAULT
 * evaluates a non-volatile default once and stores it in the catalog (since
 * PostgreSQL 11); a volatile one is evaluated for every row, rewriting the table.
 */
export type Volatility = 'volatile' | 'not volatile';

/** Function name → volatility, e.g. read from pg_proc (the most volatile overload). */
export type FunctionVolatility = ReadonlyMap<string, Volatility>;

/** Built-in functions seen in defaults whose volatility is known without a database. */
const VOLATILE = [
  'random',
  'random_normal',
  'setseed',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'gen_random_bytes',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'setval',
  'currval',
  'lastval',
  'pg_sleep',
];
const NOT_VOLATILE = [
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'current_setting',
  'current_database',
  'current_schema',
  'txid_current',
  'pg_current_xact_id',
  'to_char',
  'to_timestamp',
  'to_date',
  'date_trunc',
  'date_part',
  'extract',
  'make_interval',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'timezone',
  'age',
  'lower',
  'upper',
  'left',
  'right',
  'substr',
  'substring',
  'replace',
  'length',
  'concat',
  'concat_ws',
  'format',
  'trim',
  'btrim',
  'ltrim',
  'rtrim',
  'lpad',
  'rpad',
  'repeat',
  'md5',
  'sha256',
  'encode',
  'decode',
  'abs',
  'round',
  'floor',
  'ceil',
  'pi',
  'jsonb_build_object',
  'jsonb_build_array',
  'json_build_object',
  'json_build_array',
  'to_jsonb',
  'to_json',
  'array_fill',
  'array_length',
  'inet_client_addr',
  'pg_backend_pid',
  'version',
];

export const BUILT_IN_VOLATILITY: FunctionVolatility = new Map<string, Volatility>([
  ...VOLATILE.map((name) => [name, 'volatile'] as const),
  ...NOT_VOLATILE.map((name) => [name, 'not volatile'] as const),
]);

export interface ExpressionVolatility {
  volatility: Volatility;
  /** The volatile functions called (what makes it volatile). */
  volatileFunctions: string[];
  /** Functions whose volatility is not known: treated as volatile. */
  unknownFunctions: string[];
}

/**
 * Classifies an expression of the parse tree. Constants, casts, operators and
 * SQL value functions (CURRENT_TIMESTAMP, CURRENT_USER) are not volatile; a
 * function call is looked up in `known` (the database's catalog when lint has
 * one) and then in the built-in table; a function found in neither is assumed
 * volatile, since a wrong "safe" costs more than a wrong "breaking".
 */
export function expressionVolatility(expression: unknown, known: FunctionVolatility = new Map()): ExpressionVolatility {
  const volatileFunctions: string[] = [];
  const unknownFunctions: string[] = [];
  walk(expression, (kind, node) => {
    if (kind === 'FuncCall') {
      const name = nameParts(node.funcname).at(-1)?.toLowerCase() ?? '';
      const volatility = known.get(name) ?? BUILT_IN_VOLATILITY.get(name);
      if (volatility === 'volatile') volatileFunctions.push(name);
      else if (volatility === undefined) unknownFunctions.push(name);
    } else if (kind === 'SubLink') {
      unknownFunctions.push('(subquery)');
    }
  });
  return {
    volatility: volatileFunctions.length > 0 || unknownFunctions.length > 0 ? 'volatile' : 'not volatile',
    volatileFunctions,
    unknownFunctions,
  };
}
