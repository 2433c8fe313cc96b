import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module holding
 * package.json (with migrations/ and release-notes/ beside it). Looked up
 * rather than fixed, because this module runs from dist/ (the library) and
 * from dist/bundle/ (the CLI).
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`astra cannot find its package.json above ${from}.`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** The package version, which is also the application version. */
export const astraVersion: string = packageJson.version;
