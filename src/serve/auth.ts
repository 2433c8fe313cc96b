import { createHash, timingSafeEqual } from 'node:crypto';

/** The shortest secret `astra serve` accepts: a guessable one would make the trigger a door. */
export const MIN_SECRET_LENGTH = 16;

/** The header the trigger and the plan read the secret from (as AtlasAI's `POST /api/db/migrate`). */
export const SECRET_HEADER = 'x-service-secret';

/**
 * Checks a request's secret against the server's in constant time: both are
 * hashed first, so that neither their lengths nor their common prefix shows
 * in the time taken. A header given twice (an array) never matches.
 */
export function createSecretCheck(secret: string): (given: string | string[] | undefined) => boolean {
  const expected = createHash('sha256').update(secret, 'utf8').digest();
  return (given) => {
    if (typeof given !== 'string' || given.length === 0) return false;
    const digest = createHash('sha256').update(given, 'utf8').digest();
    return timingSafeEqual(digest, expected);
  };
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}
