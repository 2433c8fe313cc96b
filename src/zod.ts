// The one door to zod: its small build (zod/mini), imported by name, with
// English messages (inEnglish). The full build, or `import * as z`, loads every locale
// zod has: about 25 ms of start-up for every command that reads a manifest,
// release notes or a project file (bench/RESULTS.md).
import english from 'zod/v4/locales/en.js';

/**
 * English messages for one parse: `schema.safeParse(data, inEnglish)`.
 * Given per parse rather than set in zod's global config, which an
 * application using astra as a library may have set for itself.
 */
export const inEnglish = { error: english().localeError };

export {
  _default,
  array,
  boolean,
  enum,
  int,
  literal,
  looseObject,
  minLength,
  nonnegative,
  nullable,
  number,
  object,
  optional,
  pipe,
  refine,
  regex,
  strictObject,
  string,
  superRefine,
  transform,
  trim,
  union,
  type infer,
} from 'zod/mini';
