import { expect } from 'vitest';

/**
 * vitest's asymmetric matchers, typed `unknown` instead of the `any` vitest
 * gives them so that they fit anywhere in an expected value: an `any` inside
 * an expected object would switch off the type checks around it. They match
 * exactly as expect.stringContaining() and the others do.
 */
export const match = {
  any(constructor: abstract new (...args: never[]) => unknown): unknown {
    return expect.any(constructor) as unknown;
  },
  arrayContaining(items: unknown[]): unknown {
    return expect.arrayContaining(items) as unknown;
  },
  objectContaining(properties: Record<string, unknown>): unknown {
    return expect.objectContaining(properties) as unknown;
  },
  stringContaining(text: string): unknown {
    return expect.stringContaining(text) as unknown;
  },
  stringMatching(pattern: string | RegExp): unknown {
    return expect.stringMatching(pattern) as unknown;
  },
};
