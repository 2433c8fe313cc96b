import { inject } from 'vitest';
import { lockCorpusSuite } from '../corpus/suite.js';
import { createTestDatabase } from '../helpers/database.js';

// On the machine's own server; lock-corpus-<major>.test.ts measure the other majors.
lockCorpusSuite(inject('postgres').major, async () => {
  const db = await createTestDatabase();
  return { config: db.config, label: db.name, close: () => db.drop() };
});
