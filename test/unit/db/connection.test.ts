import { describe, expect, it } from 'vitest';
import { configFromUrl, libpqEnvironment } from '../../../src/db/connection.js';

describe('libpqEnvironment', () => {
  it('hands pg_dump the URL settings, the password in PGPASSWORD', () => {
    const env = libpqEnvironment(configFromUrl('postgresql://app:s%40cret@db.internal:6432/prod'));
    expect(env).toMatchObject({ PGHOST: 'db.internal', PGPORT: '6432', PGUSER: 'app', PGDATABASE: 'prod', PGPASSWORD: 's@cret' });
  });

  it('keeps the sslmode and certificate paths of the URL', () => {
    const env = libpqEnvironment(configFromUrl('postgresql://app:x@db/prod?sslmode=verify-full&sslrootcert=/dev/null'));
    expect(env.PGSSLMODE).toBe('verify-full');
    expect(env.PGSSLROOTCERT).toBe('/dev/null');
  });

  it('refuses a URL of another database', () => {
    expect(() => configFromUrl('mysql://x@y/z')).toThrow('The database URL must start with postgresql://');
  });
});
