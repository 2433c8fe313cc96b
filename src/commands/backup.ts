import type { Command } from 'commander';
import type { Wrap } from './context.js';

/** Adds the `backup` command(s) to the program. */
export function registerBackup(program: Command, run: Wrap): void {
  void program;
  void run;
}
