import type { Command } from 'commander';
import type { Wrap } from './context.js';

/** Adds the `doctor` command(s) to the program. */
export function registerDoctor(program: Command, run: Wrap): void {
  void program;
  void run;
}
