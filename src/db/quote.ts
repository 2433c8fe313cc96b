/** Quotes an SQL identifier. The one place where names become SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
