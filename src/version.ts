import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder holding package.json, migrations/ and release-notes/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** The package version, which is also the application version. */
export const astraVersion: string = packageJson.version;
