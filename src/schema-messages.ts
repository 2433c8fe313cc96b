/**
 * Messages for zod schemas of files people write (release notes, project
 * files): each follows the field's path, e.g. `migrations[1].safety` +
 * ` must be "safe" or "breaking"`, so `fieldPath` can name the field in front.
 */

type Issue = { code: string; input?: unknown; keys?: string[] };

export function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  // A URL may hold a password: never echoed.
  if (typeof input === 'string') return input.includes('://') ? 'a URL' : JSON.stringify(input);
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint' || input === undefined) return `${typeof input} ${String(input)}`;
  return typeof input;
}

/** The error for a field: "is missing" when absent, else `expected` plus what was found. */
export function fieldError(expected: string) {
  return (issue: Issue): string => (issue.input === undefined ? 'is missing' : `${expected} (found ${describe(issue.input)})`);
}

export function mappingError(allowed: readonly string[]) {
  return (issue: Issue): string => {
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue.keys ?? []).map((key) => `"${key}"`).join(', ');
      return `has an unknown field ${keys} (allowed: ${allowed.join(', ')})`;
    }
    return fieldError('must be a mapping of fields')(issue);
  };
}

/** `['migrations', 1, 'safety']` → `migrations[1].safety`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

/** Each string of `values` that repeats an earlier one: where it is, and where it first was. Values that are not strings are left to their own checks. */
export function repeats(values: readonly unknown[]): { index: number; earlier: number; value: string }[] {
  const first = new Map<string, number>();
  const found: { index: number; earlier: number; value: string }[] = [];
  values.forEach((value, index) => {
    if (typeof value !== 'string') return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else found.push({ index, earlier, value });
  });
  return found;
}
