import { describe, expect, it } from 'vitest';
import { judgeVectorExtension } from '../../../../src/doctor/checks/extensions.js';
import { match } from '../../../helpers/matchers.js';

describe('extensions', () => {
  it('is ok with pgvector installed', () => {
    expect(judgeVectorExtension({ available: true, installedVersion: '0.7.4' }, 16)).toEqual({
      status: 'ok',
      detail: 'pgvector 0.7.4 is installed: semantic memory is enabled',
    });
  });

  it('warns that semantic memory is disabled without it, with the package to install', () => {
    const missing = judgeVectorExtension({ available: false, installedVersion: null }, 16);
    expect(missing).toMatchObject({ status: 'warn', detail: 'pgvector is not available on this server: semantic memory is disabled' });
    expect(missing.fix).toContain('apt-get install postgresql-16-pgvector');
    expect(judgeVectorExtension({ available: true, installedVersion: null }, 16)).toMatchObject({
      status: 'warn',
      fix: match.stringContaining('CREATE EXTENSION vector;'),
    });
  });
});
