import { Listr } from 'listr2';
import { taskListOptions } from './tasks.js';

/** How progress is drawn (the engine context's `progress`): a task list, plain lines, or nothing. */
export type ProgressMode = 'auto' | 'quiet' | 'silent';

/** One named step of a long operation; `report` shows a line of progress, the returned text replaces the title when done. */
export interface Step {
  title: string;
  /** Why the step deliberately does not run (shown in its place), or false. */
  skip?: string | false;
  /** Keep every progress line on screen, not only the last, also once the step is done (one line per migration, say). */
  keepOutput?: boolean;
  run: (report: (text: string) => void) => Promise<string | void>;
}

export interface StepsOptions {
  mode: ProgressMode;
  /** When given, progress goes here and no task list is drawn (for callers that draw their own). */
  onProgress?: (text: string) => void;
}

/**
 * Whether progress is drawn live (a terminal on stderr, no --json) or printed
 * line by line. The live renderer wraps at stdout's width, so a terminal that
 * reports no width gets lines too.
 */
export function liveProgress(mode: ProgressMode): boolean {
  return process.stderr.isTTY === true && mode === 'auto' && (process.stdout.columns ?? 80) >= 40;
}

/**
 * The project's task list options, except that progress is still printed
 * line by line on stderr with --json (stdout keeps only the JSON), and that a
 * terminal reporting no width gets lines too.
 */
function listOptions(mode: ProgressMode): ReturnType<typeof taskListOptions> {
  const shared = taskListOptions({ json: mode === 'silent' });
  if (mode === 'silent' || liveProgress(mode)) return shared;
  return { ...shared, renderer: 'simple', rendererOptions: shared.fallbackRendererOptions };
}

/**
 * Runs `steps` in order under a listr2 task list on stderr: the live renderer
 * on a terminal, the line-by-line one otherwise or with --json (stdout stays
 * for the result). The first failing step stops the list and its error is
 * rethrown as is. Ctrl-C is left to the caller (watchInterrupts).
 */
export async function runSteps(steps: readonly Step[], options: StepsOptions): Promise<void> {
  const { onProgress } = options;
  if (onProgress) {
    for (const step of steps) {
      if (step.skip) {
        onProgress(step.skip);
        continue;
      }
      onProgress(step.title);
      const done = await step.run(onProgress);
      if (done) onProgress(done);
    }
    return;
  }
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      skip: () => step.skip ?? false,
      ...(step.keepOutput ? { rendererOptions: { persistentOutput: true, outputBar: Infinity } } : {}),
      task: async (_context: unknown, task: { output: string; title: string }) => {
        const done = await step.run((text) => {
          task.output = text;
        });
        if (done) task.title = done;
      },
    })),
    listOptions(options.mode),
  );
  await list.run();
}

/** Whether to print progress at `done` of `total`: every item when live, else about every tenth. */
export function progressWorthReporting(done: number, total: number, live: boolean): boolean {
  if (live || total <= 20 || done === total) return true;
  return Math.floor((done * 10) / total) !== Math.floor(((done - 1) * 10) / total);
}
