/**
 * Migration versions. Most folders number their migrations with whole numbers
 * (`001-…`, `000001_…`, 14-digit timestamps); Flyway's also with dotted ones
 * (`V1.1__…`, `V2_1__…`), compared part by part as numbers: 1.9 < 1.10 < 2.
 *
 * A whole number is a JavaScript number, as it always was (in `--json` too);
 * a dotted version is a string in its canonical form: parts joined by dots,
 * without leading zeros, trailing zero parts dropped (Flyway counts `1.0` and
 * `1` as the same version, so does astra). Equal versions are therefore equal
 * values (`===`, Set, Map); order them with `compareVersions`, never with `<`.
 */
export type MigrationVersion = number | string;

/** Digits a part after the first may have: each takes that many decimal places in the ledger. */
const PART_DIGITS = 20;

/**
 * Reads a version as written in a file name or on the command line: digits,
 * parts joined by `.` or `_`. Undefined when it is not one (or when its first
 * part is beyond a safe integer, or a later part longer than 20 digits).
 */
export function parseVersion(text: string): MigrationVersion | undefined {
  if (!/^\d+(?:[._]\d+)*$/.test(text)) return undefined;
  const parts = text.split(/[._]/).map((part) => part.replace(/^0+(?=\d)/, ''));
  if (!Number.isSafeInteger(Number(parts[0]))) return undefined;
  if (parts.slice(1).some((part) => part.length > PART_DIGITS)) return undefined;
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.length === 1 ? Number(parts[0]) : parts.join('.');
}

function parts(version: MigrationVersion): bigint[] {
  return typeof version === 'number' ? [BigInt(version)] : version.split('.').map((part) => BigInt(part));
}

/** Negative, zero or positive as `a` comes before, is, or comes after `b`. */
export function compareVersions(a: MigrationVersion, b: MigrationVersion): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = parts(a);
  const right = parts(b);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const x = left[index] ?? 0n;
    const y = right[index] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const byVersion = <T extends { version: MigrationVersion }>(a: T, b: T): number => compareVersions(a.version, b.version);

export function maxVersion(versions: MigrationVersion[]): MigrationVersion | undefined {
  return versions.reduce<MigrationVersion | undefined>((max, version) => (max === undefined || compareVersions(version, max) > 0 ? version : max), undefined);
}

/**
 * How the ledger keeps a version: a whole number as itself, a dotted one as
 * an exact decimal whose fraction holds each later part in 20 digits
 * (1.1 → 1.00000000000000000001, 1.10 → 1.00000000000000000010), so that the
 * ledger's own ORDER BY and ranges order it as astra does. The column is
 * bigint until a dotted version is first recorded, numeric from then on.
 */
export function ledgerKey(version: MigrationVersion): number | string {
  if (typeof version === 'number') return version;
  const [first, ...rest] = version.split('.');
  return `${first}.${rest.map((part) => part.padStart(PART_DIGITS, '0')).join('')}`;
}

/** The version a ledger key stands for (the text PostgreSQL prints for the bigint or numeric). */
export function fromLedgerKey(text: string): MigrationVersion {
  const [whole = '0', fraction] = text.split('.');
  if (fraction === undefined || /^0*$/.test(fraction)) return Number(whole);
  const padded = fraction.padEnd(Math.ceil(fraction.length / PART_DIGITS) * PART_DIGITS, '0');
  const later: string[] = [];
  for (let index = 0; index < padded.length; index += PART_DIGITS) later.push(padded.slice(index, index + PART_DIGITS).replace(/^0+(?=\d)/, ''));
  while (later.at(-1) === '0') later.pop();
  return [whole, ...later].join('.');
}

/** True for a whole-number version: the only kind ClickHouse folders, project ranges and `create` number with. */
export function isWholeVersion(version: MigrationVersion): version is number {
  return typeof version === 'number';
}
