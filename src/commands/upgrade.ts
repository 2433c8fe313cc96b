import type { Command } from 'commander';
import type { Wrap } from './context.js';

/** Adds the `upgrade` command(s) to the program. */
export function registerUpgrade(program: Command, run: Wrap): void {
  void program;
  void run;
}
