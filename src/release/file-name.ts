import { basename } from 'node:path';

/** The version a release notes file is named for: `release-notes/0.9.0.md` → `0.9.0`. */
export function versionOfFileName(file: string): string {
  return basename(file).replace(/\.md$/, '');
}
