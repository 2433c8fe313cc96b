import { strongerLock, type LockMode } from './locks.js';
import type { SchemaModel } from './schema.js';
import { relationsIn } from './tree.js';
import type { FunctionVolatility } from './volatility.js';

/** What one statement does to one table while its transaction is open. */
export interface LockEffect {
  table: string;
  /** The strongest lock the statement takes on the table. */
  lock: LockMode;
  /** The table's storage is written anew (a new relfilenode): every row is copied under the lock. */
  rewrite: boolean;
  /** Every row is read (or checked) while the lock is held, without a rewrite. */
  scan: boolean;
  /** What takes the lock, in a few words: "ADD COLUMN", "index build". */
  what: string;
}

export interface EffectOptions {
  schema: SchemaModel;
  /** Server major version the migration will run on (defaults to a current one). */
  serverMajor: number;
  volatility: FunctionVolatility;
}

/** Builds the list of effects, merging several on one table into the strongest. */
export class EffectList {
  private readonly byTable = new Map<string, LockEffect>();

  add(table: string | undefined, lock: LockMode, what: string, flags: { rewrite?: boolean; scan?: boolean } = {}): void {
    if (!table) return;
    const existing = this.byTable.get(table);
    const rewrite = flags.rewrite === true;
    const scan = flags.scan === true && !rewrite;
    if (!existing) {
      this.byTable.set(table, { table, lock, rewrite, scan, what });
      return;
    }
    existing.lock = strongerLock(existing.lock, lock);
    existing.rewrite ||= rewrite;
    existing.scan = (existing.scan || scan) && !existing.rewrite;
    if (!existing.what.split(', ').includes(what)) existing.what = `${existing.what}, ${what}`;
  }

  /** Relations read by a query: ACCESS SHARE. */
  reads(value: unknown, except: string[] = []): void {
    for (const name of relationsIn(value)) if (!except.includes(name)) this.add(name, 'ACCESS SHARE', 'read');
  }

  list(): LockEffect[] {
    return [...this.byTable.values()];
  }
}
