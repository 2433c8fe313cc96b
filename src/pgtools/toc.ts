/** One entry of an archive's table of contents, as `pg_restore --list` prints it. */
export interface TocEntry {
  kind: string;
  /** null for objects outside a schema (a schema itself, an extension). */
  schema: string | null;
  name: string;
}

const KINDS = [
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'FOREIGN TABLE',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'TABLE DATA',
  'TABLE',
  'VIEW',
  'SEQUENCE',
  'SCHEMA',
  'TYPE',
  'DOMAIN',
];
const ENTRY = new RegExp(`^\\d+; \\d+ \\d+ (${KINDS.join('|')}) (\\S+) (.+) (\\S+)$`);

/**
 * Reads the entries astra needs from `pg_restore --list` output: relations,
 * types and schemas. Comment lines (";") and other kinds are left out.
 */
export function parseToc(listing: string): TocEntry[] {
  const entries: TocEntry[] = [];
  for (const line of listing.split('\n')) {
    const match = ENTRY.exec(line.trimEnd());
    if (!match) continue;
    const [, kind = '', schema = '-', name = ''] = match;
    entries.push({ kind, schema: schema === '-' ? null : schema, name });
  }
  return entries;
}
