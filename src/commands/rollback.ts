import type { Command } from 'commander';
import type { Wrap } from './context.js';

/** Adds the `rollback` command(s) to the program. */
export function registerRollback(program: Command, run: Wrap): void {
  void program;
  void run;
}
