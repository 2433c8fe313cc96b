import type { Command } from 'commander';
import type { Wrap } from './context.js';

/** Adds the `lint` command(s) to the program. */
export function registerLint(program: Command, run: Wrap): void {
  void program;
  void run;
}
