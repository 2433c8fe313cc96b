import { ListrLogger, ProcessOutput, type ListrBaseClassOptions, type ListrContext, type ListrRendererValue } from 'listr2';
import { useColor } from './log.js';

/**
 * Options for a listr2 task list, so that every command renders progress the
 * same way: on stderr (stdout belongs to --json), with spinners only on a
 * colour terminal, one plain line per event otherwise, and nothing with --json.
 */
export function taskListOptions(options: { json: boolean }): ListrBaseClassOptions<ListrContext, ListrRendererValue, ListrRendererValue> {
  const processOutput = new ProcessOutput(process.stderr, process.stderr, { dump: [] });
  const logger = new ListrLogger({ processOutput, useIcons: useColor(process.stderr) });
  // astra decides what Ctrl-C does (stop at a safe point), not the task list.
  if (options.json) return { renderer: 'silent', exitOnError: true, registerSignalListeners: false };
  const fancy = process.stderr.isTTY === true && useColor(process.stderr);
  return {
    renderer: fancy ? 'default' : 'simple',
    fallbackRenderer: 'simple',
    exitOnError: true,
    registerSignalListeners: false,
    rendererOptions: fancy ? { logger, collapseSubtasks: false, collapseSkips: false, showErrorMessage: false } : { logger },
    fallbackRendererOptions: { logger },
  };
}
