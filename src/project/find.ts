import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { inputError } from '../errors.js';

// Apart from load.ts: every command looks for a project file, and only
// those that find one load the YAML parser and the schema that read it.

export const PROJECT_FILE_NAMES = ['astra.config.json', 'astra.config.yaml', 'astra.config.yml'] as const;

/** The project file in `dir` or the nearest folder above it; undefined when there is none. */
export function findProjectFile(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const found = PROJECT_FILE_NAMES.map((name) => join(current, name)).filter((path) => existsSync(path));
    if (found.length > 1) {
      throw inputError(
        `${current} holds ${found.length} project files (${found.map((path) => basename(path)).join(', ')}); astra cannot tell which one is meant.`,
        'Keep one, or name it with --config.',
      );
    }
    if (found[0]) return found[0];
    if (dirname(current) === current) return undefined;
  }
}
