import { inputError } from '../errors.js';

export interface FrontMatterSplit {
  /** The YAML between the `---` lines. */
  yaml: string;
  /** Line number, in the file, of the first YAML line (for error messages). */
  yamlFirstLine: number;
  /** The Markdown after the closing `---`. */
  body: string;
}

const FENCE = '---';

/**
 * Splits a Markdown file into its front matter and body: the file must begin
 * with a line `---` and the front matter ends at the next line `---` (or `...`).
 * Only the fence lines are looked at here; the YAML itself goes to the yaml parser.
 */
export function splitFrontMatter(file: string, text: string): FrontMatterSplit {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trimEnd() !== FENCE) {
    throw inputError(
      `${file}: the file does not begin with front matter (a line "---").`,
      'Start the file with "---", the release metadata in YAML, and "---"; docs/release-notes.md shows an example.',
    );
  }
  const end = lines.findIndex((line, index) => index > 0 && (line.trimEnd() === FENCE || line.trimEnd() === '...'));
  if (end < 0) {
    throw inputError(`${file}: the front matter is never closed (no second "---" line).`, 'End the YAML metadata with a line "---" before the Markdown text.');
  }
  return {
    yaml: lines.slice(1, end).join('\n'),
    yamlFirstLine: 2,
    body: lines
      .slice(end + 1)
      .join('\n')
      .replace(/^\n+/, ''),
  };
}
