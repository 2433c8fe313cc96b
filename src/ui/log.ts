/**
 * Human output goes to stderr so that stdout carries only what --json promises.
 * Colour follows NO_COLOR, FORCE_COLOR and whether stderr is a terminal.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  readonly color: boolean;
}

export interface LogOptions {
  debug?: boolean;
  quiet?: boolean;
  /** Put in front of every line, as `[TENANT]` for a database of a project. */
  tag?: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function useColor(stream: { isTTY?: boolean }): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const paint = (code: number) => (on: boolean, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
export const yellow = paint(33);
export const red = paint(31);
export const green = paint(32);
export const dim = paint(2);
export const bold = paint(1);

export function createLog(options: LogOptions = {}): Log {
  const stream = options.stream ?? process.stderr;
  const color = useColor(stream);
  const write = (text: string) => stream.write(`${options.tag ? text.replace(/^/gm, `${options.tag} `) : text}\n`);
  return {
    color,
    info: (message) => {
      if (!options.quiet) write(message);
    },
    warn: (message) => write(yellow(color, `warning: ${message}`)),
    error: (message) => write(red(color, `error: ${message}`)),
    debug: (message) => {
      if (options.debug) write(dim(color, message));
    },
  };
}
