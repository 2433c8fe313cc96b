/**
 * PostgreSQL's table lock modes, weakest first (the order of their numbers in
 * the server), and what each one stops the application from doing.
 */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** What a lock held on a table stops the application from doing while it is held. */
export type Blocks = 'reads+writes' | 'writes' | 'none';

export function lockStrength(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

export function strongerLock(a: LockMode, b: LockMode): LockMode {
  return lockStrength(a) >= lockStrength(b) ? a : b;
}

/**
 * ACCESS EXCLUSIVE conflicts with every query; SHARE and stronger conflict with
 * INSERT/UPDATE/DELETE (ROW EXCLUSIVE); weaker modes conflict with neither
 * (SHARE UPDATE EXCLUSIVE stops only other DDL, VACUUM and ANALYZE).
 */
export function blocksOf(mode: LockMode | null): Blocks {
  if (mode === null) return 'none';
  if (mode === 'ACCESS EXCLUSIVE') return 'reads+writes';
  return lockStrength(mode) >= lockStrength('SHARE') ? 'writes' : 'none';
}

/** `AccessExclusiveLock` (the name in pg_locks.mode) → `ACCESS EXCLUSIVE`. */
export function lockModeFromPgLocks(name: string): LockMode | undefined {
  const spaced = name
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
  return (LOCK_MODES as readonly string[]).includes(spaced) ? (spaced as LockMode) : undefined;
}

/** The mode numbers of LOCK TABLE's parse tree (LockStmt.mode) → the mode. */
export function lockModeFromNumber(mode: number): LockMode | undefined {
  return LOCK_MODES[mode - 1];
}
