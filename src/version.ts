import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module holding astra's
 * package.json (with migrations/ and release-notes/ beside it). Looked up
 * rather than fixed, because this module runs from dist/ (the library) and
 * from dist/bundle/ (the CLI). Another package's package.json (an
 * application that bundled astra into its own build) is passed over: its
 * version and folders are not astra's.
 */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && existsSync(join(dir, 'release-notes')) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'astra')
      return dir;
    if (dirname(dir) === dir) throw new Error(`astra cannot find its own package.json (name "astra", with release-notes/ beside it) above ${from}.`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** The package version, which is also the application version. */
export const astraVersion: string = packageJson.version;
