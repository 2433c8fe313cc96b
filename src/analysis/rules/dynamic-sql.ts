import type { Rule } from '../types.js';

/** SQL in a DO block that lint cannot read, so cannot vouch for. */
export const dynamicSql: Rule = {
  id: 'dynamic-sql',
  title: 'SQL lint cannot read (EXECUTE of a computed string, a non-PL/pgSQL DO block)',
  run(context) {
    return context.opaque.map((opaque) => ({
      verdict: 'breaking' as const,
      message: `Line ${opaque.line}: ${opaque.why} (${opaque.text.replace(/\s+/g, ' ').slice(0, 120)}), so lint cannot tell what it locks or rewrites, and cannot call the migration safe.`,
      fix: 'Write the statement out (static SQL in the DO block, or a constant string after EXECUTE) so that lint can check it; if it cannot be, mark the migration breaking in the release notes or acknowledge it with -- astra:allow dynamic-sql <what it does and why that is safe>.',
    }));
  },
};
