import { describe, expect, it } from 'vitest';
import { displayUrl, judgeHealthAnswer } from '../../../../src/doctor/checks/health-url.js';

describe('health-url', () => {
  it('is ok when the application answers 2xx', () => {
    expect(judgeHealthAnswer('http://app/health', { kind: 'status', status: 200, statusText: 'OK', ms: 12 })).toEqual({
      status: 'ok',
      detail: 'http://app/health answered 200 in 12 ms',
    });
  });

  it('fails another status, no answer in time, and an unreachable address', () => {
    expect(judgeHealthAnswer('http://app/health', { kind: 'status', status: 503, statusText: 'Service Unavailable', ms: 3 }).detail).toBe(
      'http://app/health answered 503 Service Unavailable, not 200',
    );
    expect(judgeHealthAnswer('http://app/health', { kind: 'timeout', ms: 5000 }).detail).toBe(
      'http://app/health did not answer within 5.0 s (--health-timeout)',
    );
    expect(judgeHealthAnswer('http://app/health', { kind: 'error', message: 'connect ECONNREFUSED' }).status).toBe('fail');
  });

  it('shows the URL without credentials or query string', () => {
    expect(displayUrl('https://user:secret@app.example/health?token=abc')).toBe('https://app.example/health?…');
  });
});
