import { describe, expect, it } from 'vitest';
import { createSecretCheck, isLoopback } from '../../../src/serve/auth.js';

describe('createSecretCheck', () => {
  const matches = createSecretCheck('k8s-secret-7f3a9c1e5b2d4f60');

  it('accepts the secret itself', () => {
    expect(matches('k8s-secret-7f3a9c1e5b2d4f60')).toBe(true);
  });

  it('refuses a missing, empty, shorter, longer or repeated header', () => {
    expect(matches(undefined)).toBe(false);
    expect(matches('')).toBe(false);
    expect(matches('k8s-secret-7f3a9c1e5b2d4f6')).toBe(false);
    expect(matches('k8s-secret-7f3a9c1e5b2d4f600')).toBe(false);
    expect(matches(['k8s-secret-7f3a9c1e5b2d4f60', 'k8s-secret-7f3a9c1e5b2d4f60'])).toBe(false);
  });
});

describe('isLoopback', () => {
  it('knows the addresses reachable from this machine only', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]']) expect(isLoopback(host), host).toBe(true);
  });

  it('treats every other address as reachable from outside', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'db.example.com', '127.0.0.1.nip.io']) expect(isLoopback(host), host).toBe(false);
  });
});
