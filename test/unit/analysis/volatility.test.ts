import { parseSync } from 'libpg-query';
import { describe, expect, it } from 'vitest';
import { expressionVolatility } from '../../../src/analysis/volatility.js';
import './helpers.js';

/** The expression of `SELECT <expression>`. */
function expression(sql: string): unknown {
  const select = (parseSync(`SELECT ${sql}`).stmts?.[0]?.stmt as { SelectStmt: { targetList: { ResTarget: { val: unknown } }[] } }).SelectStmt;
  return select.targetList[0]!.ResTarget.val;
}

describe('expressionVolatility', () => {
  it.each(['now()', 'CURRENT_TIMESTAMP', 'current_date', "'x'", '1.5::numeric', "lower('X')", "'{}'::jsonb", 'coalesce(1, 2)'])('%s is not volatile', (sql) => {
    expect(expressionVolatility(expression(sql)).volatility).toBe('not volatile');
  });

  it.each(['random()', 'gen_random_uuid()', 'clock_timestamp()', "nextval('s')", '(random() * 10)::int'])('%s is volatile', (sql) => {
    const result = expressionVolatility(expression(sql));
    expect(result.volatility).toBe('volatile');
    expect(result.volatileFunctions.length).toBeGreaterThan(0);
  });

  it('treats an unknown function as volatile, unless the database says otherwise', () => {
    expect(expressionVolatility(expression('my_default()'))).toEqual({ volatility: 'volatile', volatileFunctions: [], unknownFunctions: ['my_default'] });
    expect(expressionVolatility(expression('my_default()'), new Map([['my_default', 'not volatile']])).volatility).toBe('not volatile');
  });
});
