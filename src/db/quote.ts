/** Quotes an SQL identifier. With quoteLiteral, the one place where names and values become SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a string as an SQL literal, as the server's quote_literal does: for
 * the few utility statements (CREATE DATABASE options, ALTER DATABASE SET,
 * COMMENT) that take no parameters, and SQL sent in one round trip with other statements.
 */
export function quoteLiteral(value: string): string {
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}
