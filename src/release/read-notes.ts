import { LineCounter, parseDocument } from 'yaml';
import { inputError } from '../errors.js';
import { splitFrontMatter } from './front-matter.js';
import { versionOfFileName } from './file-name.js';
import { validateReleaseMetadata, type ReleaseMetadata } from './schema.js';

/** One `release-notes/<version>.md`: its metadata and the Markdown a person reads. */
export interface ReleaseNotes {
  /** The path as it is shown in messages, e.g. `release-notes/0.9.0.md`. */
  file: string;
  metadata: ReleaseMetadata;
  body: string;
}

const FIX = 'Correct the front matter; docs/release-notes.md describes every field.';

/**
 * Reads one release notes file. `file` names it in messages. Throws an input
 * error (exit code 2) naming the file and the field when the front matter is
 * missing, is not YAML, does not match the schema, or disagrees with the
 * file's name.
 */
export function parseReleaseNotes(file: string, text: string): ReleaseNotes {
  const { yaml, yamlFirstLine, body } = splitFrontMatter(file, text);

  const lineCounter = new LineCounter();
  const document = parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const where = ` at line ${lineCounter.linePos(yamlError.pos[0]).line + yamlFirstLine - 1}`;
    const reason = yamlError.message.split('\n')[0] ?? yamlError.code;
    throw inputError(`${file}: the front matter is not valid YAML${where}: ${reason}`, FIX, yamlError);
  }

  const data: unknown = document.toJS();
  if (data === null || data === undefined) {
    throw inputError(`${file}: the front matter is empty.`, FIX);
  }
  const result = validateReleaseMetadata(data);
  if (!result.ok) {
    const messages = result.issues.map((issue) => issue.message);
    throw inputError(`${file}: ${messages.join('; ')}.`, FIX);
  }

  const named = versionOfFileName(file);
  if (named !== result.metadata.version) {
    throw inputError(
      `${file}: version is ${result.metadata.version} but the file is named for ${named}.`,
      `Rename the file to ${result.metadata.version}.md, or correct its version field.`,
    );
  }
  return { file, metadata: result.metadata, body };
}
