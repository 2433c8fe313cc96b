import { describe, expect, it } from 'vitest';
import { AstraError } from '../../../src/errors.js';
import { isTransientConnectError } from '../../../src/db/wait.js';

const failure = (code: string) => new AstraError('Could not connect.', { cause: Object.assign(new Error(code), { code }) });

describe('isTransientConnectError', () => {
  it('waits out a server that is not up yet', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'ETIMEDOUT', 'ECONNRESET', '57P03'])
      expect(isTransientConnectError(failure(code)), code).toBe(true);
    expect(isTransientConnectError(new AstraError('Could not connect.', { cause: new Error('Connection terminated due to connection timeout') }))).toBe(true);
  });

  it('does not wait out what waiting cannot cure', () => {
    for (const code of ['28P01', '28000', '3D000', '42501']) expect(isTransientConnectError(failure(code)), code).toBe(false);
    expect(isTransientConnectError(new AstraError('Could not connect.', { cause: new Error('SASL: client password must be a string') }))).toBe(false);
  });
});
