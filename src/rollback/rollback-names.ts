/** PostgreSQL cuts identifiers at 63 bytes; a longer name would silently collide. */
const MAX_IDENTIFIER_BYTES = 63;

/** 2026-11-02T14:30:15Z → "20261102143015". */
export function rollbackStamp(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function cutToBytes(text: string, bytes: number): string {
  let cut = text;
  while (Buffer.byteLength(cut, 'utf8') > bytes) cut = cut.slice(0, -1);
  return cut;
}

/**
 * The names a rollback of `database` uses: the copy restored from the backup
 * (`<db>__restore_<stamp>`) and the current database once it is set aside
 * (`<db>__pre_rollback_<stamp>`). A long database name is shortened so that
 * both fit in 63 bytes.
 */
export function rollbackDatabaseNames(database: string, stamp: string): { restore: string; kept: string } {
  const keptSuffix = `__pre_rollback_${stamp}`;
  const base = cutToBytes(database, MAX_IDENTIFIER_BYTES - Buffer.byteLength(keptSuffix));
  return { restore: `${base}__restore_${stamp}`, kept: `${base}${keptSuffix}` };
}
