/**
 * Small readers for libpg-query parse trees. A node is `{ Kind: { ...fields } }`;
 * fields the parser leaves at their default (false, 0, empty) are absent.
 */
export type Node = Record<string, unknown>;

/** `{ IndexStmt: {...} }` → `['IndexStmt', {...}]`; undefined for anything else. */
export function unwrap(value: unknown): [string, Node] | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Node);
  if (entries.length !== 1) return undefined;
  const [kind, node] = entries[0]!;
  if (!/^[A-Z]/.test(kind) || !node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return [kind, node as Node];
}

/** The fields of a node of `kind`, or undefined when `value` is another kind of node. */
export function nodeOf(value: unknown, kind: string): Node | undefined {
  const found = unwrap(value);
  return found && found[0] === kind ? found[1] : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `{ String: { sval } }` → sval. */
export function stringOf(value: unknown): string | undefined {
  const node = nodeOf(value, 'String');
  return typeof node?.sval === 'string' ? node.sval : undefined;
}

/** A list of String nodes (a qualified name) → its parts. */
export function nameParts(value: unknown): string[] {
  return list(value).flatMap((item) => {
    const text = stringOf(item);
    return text === undefined ? [] : [text];
  });
}

/**
 * A relation's name as astra compares them: `schema.name`, or just `name` for
 * an unqualified name or the public schema.
 */
export function qualifiedName(parts: string[]): string {
  const name = parts.at(-1) ?? '';
  const schema = parts.length > 1 ? parts.at(-2) : undefined;
  return schema && schema !== 'public' ? `${schema}.${name}` : name;
}

/** A RangeVar (with or without its `{ RangeVar: }` wrapper) → its qualified name. */
export function relationName(value: unknown): string | undefined {
  const node = nodeOf(value, 'RangeVar') ?? (value as Node | undefined);
  if (!node || typeof node.relname !== 'string') return undefined;
  return qualifiedName([...(typeof node.schemaname === 'string' ? [node.schemaname] : []), node.relname]);
}

/** Calls `visit` for every node below `value` (depth first, parents before children). */
export function walk(value: unknown, visit: (kind: string, node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const found = unwrap(value);
  if (found) {
    visit(found[0], found[1]);
    for (const child of Object.values(found[1])) walk(child, visit);
    return;
  }
  // Some fields hold a RangeVar without its wrapper (`relation: { relname }`).
  if (typeof (value as Node).relname === 'string') visit('RangeVar', value as Node);
  for (const child of Object.values(value as Node)) walk(child, visit);
}

/** Every RangeVar below `value`, as qualified names. */
export function relationsIn(value: unknown): string[] {
  const names: string[] = [];
  walk(value, (kind, node) => {
    if (kind === 'RangeVar') {
      const name = relationName(node);
      if (name) names.push(name);
    }
  });
  return names;
}

/** An integer constant (`A_Const` with `ival`), as typmods are written. */
export function integerOf(value: unknown): number | undefined {
  const constant = nodeOf(value, 'A_Const');
  if (!constant) return undefined;
  const ival = constant.ival as { ival?: number } | undefined;
  if (ival) return ival.ival ?? 0;
  return undefined;
}

/** REINDEX (CONCURRENTLY) ...: its options say CONCURRENTLY. */
export function reindexConcurrently(node: Node): boolean {
  return optionNames(node.params).includes('concurrently');
}

/** The defnames of a list of DefElem options, lower-cased. */
export function optionNames(value: unknown): string[] {
  return list(value).flatMap((item) => {
    const name = nodeOf(item, 'DefElem')?.defname;
    return typeof name === 'string' ? [name.toLowerCase()] : [];
  });
}
