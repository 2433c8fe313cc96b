import { integerOf, list, nameParts, type Node } from './tree.js';

/** A column's type as declared: canonical name, type modifiers, array or not. */
export interface ColumnType {
  /** Canonical name without pg_catalog: `varchar`, `numeric`, `int4`, `timestamptz`, ... */
  name: string;
  /** Length, precision and scale as written (`varchar(20)` → [20]); empty when unconstrained. */
  typmods: number[];
  array: boolean;
}

/** Names people write → the names PostgreSQL stores. */
const ALIASES: Record<string, string> = {
  int: 'int4',
  integer: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
  smallserial: 'int2',
  serial2: 'int2',
  decimal: 'numeric',
  real: 'float4',
  float: 'float8',
  'double precision': 'float8',
  boolean: 'bool',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
  'bit varying': 'varbit',
};

export function canonicalTypeName(name: string): string {
  const lower = name.toLowerCase();
  return ALIASES[lower] ?? lower;
}

/** A parse-tree TypeName → ColumnType. */
export function columnTypeOf(typeName: Node | undefined): ColumnType | undefined {
  if (!typeName) return undefined;
  const parts = nameParts(typeName.names);
  const last = parts.at(-1);
  if (!last) return undefined;
  const typmods = list(typeName.typmods).flatMap((value) => {
    const number = integerOf(value);
    return number === undefined ? [] : [number];
  });
  return { name: canonicalTypeName(last), typmods, array: list(typeName.arrayBounds).length > 0 };
}

/** Serial types are integers whose default is nextval() of a new sequence. */
export function isSerialType(typeName: Node | undefined): boolean {
  const last = nameParts(typeName?.names).at(-1)?.toLowerCase();
  return last !== undefined && /^(small|big)?serial[248]?$/.test(last);
}

export function formatColumnType(type: ColumnType): string {
  return `${type.name}${type.typmods.length ? `(${type.typmods.join(',')})` : ''}${type.array ? '[]' : ''}`;
}

/** Types whose length/precision can grow without touching the rows. */
const GROWABLE = new Set(['varchar', 'varbit', 'timestamp', 'timestamptz', 'time']);

/** Changes of type PostgreSQL makes by relabelling the column: the stored bytes stay valid. */
const BINARY_COERCIBLE = new Set(['varchar>text', 'text>varchar', 'cidr>inet']);

export interface TypeChange {
  rewrite: boolean;
  /** Why, in a few words: "varchar(20) → varchar(40) only relabels the column". */
  reason: string;
}

/**
 * TimeZone settings with a zero offset and no daylight saving time: under
 * them PostgreSQL 12 and later convert timestamp ↔ timestamptz by relabelling.
 */
export function isUtcZone(zone: string | undefined): boolean {
  return zone !== undefined && /^(etc\/)?(utc|uct|gmt|gmt0|gmt[+-]0|universal|zulu|greenwich)$/i.test(zone.trim());
}

/**
 * Whether ALTER COLUMN ... TYPE rewrites the table, following the server's own
 * test (the conversion must reduce to a relabelling, or to a length check that
 * the new modifier makes unnecessary). `from` undefined: the column's current
 * type is not known, so a rewrite is assumed. `utcRelabels`: the session's
 * TimeZone is UTC on PostgreSQL 12 or later.
 */
export function typeChangeRewrites(from: ColumnType | undefined, to: ColumnType, hasUsing: boolean, utcRelabels = false): TypeChange {
  const target = formatColumnType(to);
  if (hasUsing) return { rewrite: true, reason: `a USING expression recomputes every row as ${target}` };
  if (!from) return { rewrite: true, reason: `the column's current type is not known here, so a rewrite to ${target} is assumed` };
  const source = formatColumnType(from);
  if (from.array !== to.array) return { rewrite: true, reason: `${source} → ${target} converts every value` };
  if (from.name === to.name) {
    if (sameTypmods(from.typmods, to.typmods)) return { rewrite: false, reason: `${source} → ${target} changes nothing stored` };
    if (from.name === 'numeric') return numericChange(from, to, source, target);
    if (GROWABLE.has(from.name) && typmodGrows(from.typmods, to.typmods)) {
      return { rewrite: false, reason: `${source} → ${target} only widens the column` };
    }
    return { rewrite: true, reason: `${source} → ${target} must check or convert every value` };
  }
  if (BINARY_COERCIBLE.has(`${from.name}>${to.name}`) && !from.array && to.typmods.length === 0) {
    return { rewrite: false, reason: `${source} → ${target} only relabels the column` };
  }
  const timestamps = [from.name, to.name].sort().join('>') === 'timestamp>timestamptz';
  if (timestamps && utcRelabels && !from.array && sameTypmods(from.typmods, to.typmods)) {
    return { rewrite: false, reason: `${source} → ${target} only relabels the column while the session's TimeZone is UTC` };
  }
  return { rewrite: true, reason: `${source} → ${target} converts every value` };
}

function sameTypmods(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** `to` unconstrained, or at least as large as `from` (which must itself be constrained). */
function typmodGrows(from: number[], to: number[]): boolean {
  if (to.length === 0) return true;
  if (from.length === 0) return false;
  return (to[0] ?? 0) >= (from[0] ?? 0);
}

function numericChange(from: ColumnType, to: ColumnType, source: string, target: string): TypeChange {
  if (to.typmods.length === 0) return { rewrite: false, reason: `${source} → ${target} only removes the limit` };
  if (from.typmods.length === 0) return { rewrite: true, reason: `${source} → ${target} must round every value` };
  const [fromPrecision = 0, fromScale = 0] = from.typmods;
  const [toPrecision = 0, toScale = 0] = to.typmods;
  if (toScale === fromScale && toPrecision >= fromPrecision) {
    return { rewrite: false, reason: `${source} → ${target} keeps the scale and widens the precision` };
  }
  return { rewrite: true, reason: `${source} → ${target} changes the scale or narrows the precision` };
}
