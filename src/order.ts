/**
 * Orders strings by their UTF-16 code units: the same in every locale, and
 * without loading ICU's collator as localeCompare does (about 15 ms, paid
 * by every command that sorted a name).
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
