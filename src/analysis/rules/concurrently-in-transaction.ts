import type { Rule } from '../types.js';

/** A statement that cannot run in a transaction block, in a file wrapped in BEGIN ... COMMIT. */
export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  title: 'CONCURRENTLY (or VACUUM) inside BEGIN ... COMMIT',
  run(context) {
    const reason = context.writtenOutsideTransaction;
    if (!context.wrappedInTransaction || !reason) return [];
    return [
      {
        verdict: 'breaking',
        message: `The file wraps its statements in BEGIN ... COMMIT, but PostgreSQL refuses ${reason} inside a transaction block. Run as written (psql, golang-migrate) the migration fails; astra drops the wrapper and runs this statement on its own, so the statements before it commit without it — the all-or-nothing the wrapper promises does not hold.`,
        fix: `Remove BEGIN and COMMIT (astra gives each migration its transaction), and put the ${reason} in a migration of its own if the others must be all or nothing.`,
      },
    ];
  },
};
