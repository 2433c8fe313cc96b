import { blocksOf, strongerLock, type Blocks, type LockMode } from './locks.js';
import type { SchemaModel } from './schema.js';
import { relationsIn } from './tree.js';
import type { FunctionVolatility } from './volatility.js';

/** What one statement does to one table while its transaction is open. */
export interface LockEffect {
  table: string;
  /** The strongest lock the statement takes on the table; null when it takes none but locks one of its indexes. */
  lock: LockMode | null;
  /** The table's storage is written anew (a new relfilenode): every row is copied under the lock. */
  rewrite: boolean;
  /** Every row is read (or checked) while the lock is held, without a rewrite. */
  scan: boolean;
  /**
   * What the application waits for while the lock is held: what the table's
   * lock blocks, or reads too when the statement locks one of its indexes
   * ACCESS EXCLUSIVE (every query's planner opens all of a table's indexes).
   */
  blocks: Blocks;
  /** The relation is a sequence: its one row is what a rewrite writes, in a moment. */
  sequence?: true;
  /**
   * Reached through what the statement names rather than named by it: a
   * partition of the table, a table with a foreign key to it, a table of the
   * schema, one with a column of the type. A finding on the statement covers it.
   */
  reached?: true;
  /** What takes the lock, in a few words: "ADD COLUMN", "index build". */
  what: string;
}

export interface EffectOptions {
  schema: SchemaModel;
  /** Server major version the migration will run on (defaults to a current one). */
  serverMajor: number;
  volatility: FunctionVolatility;
  /** The session's TimeZone where the statement runs, when known (the database's default, or a SET earlier in the migration). */
  timeZone?: string;
}

/** Builds the list of effects, merging several on one table into the strongest. */
export class EffectList {
  private readonly byTable = new Map<string, LockEffect>();

  /**
   * `readsWait`: the statement locks ACCESS EXCLUSIVE something every query on
   * the table opens (one of its indexes, an inheritance child), so reads wait
   * whatever the table's own lock. `writesWait`: writes wait whatever the
   * table's own lock (measured, see its caller).
   */
  add(
    table: string | undefined,
    lock: LockMode | null,
    what: string,
    flags: { rewrite?: boolean; scan?: boolean; readsWait?: boolean; writesWait?: boolean; sequence?: boolean; reached?: boolean } = {},
  ): void {
    if (!table) return;
    const existing = this.byTable.get(table);
    const rewrite = flags.rewrite === true;
    const scan = flags.scan === true && !rewrite;
    const own = blocksOf(lock);
    const blocks = flags.readsWait === true ? 'reads+writes' : flags.writesWait === true && own === 'none' ? 'writes' : own;
    if (!existing) {
      this.byTable.set(table, {
        table,
        lock,
        rewrite,
        scan,
        blocks,
        what,
        ...(flags.sequence ? { sequence: true as const } : {}),
        ...(flags.reached ? { reached: true as const } : {}),
      });
      return;
    }
    existing.lock = existing.lock === null ? lock : lock === null ? existing.lock : strongerLock(existing.lock, lock);
    const all = [existing.blocks, blocks, blocksOf(existing.lock)];
    existing.blocks = all.includes('reads+writes') ? 'reads+writes' : all.includes('writes') ? 'writes' : 'none';
    existing.rewrite ||= rewrite;
    existing.scan = (existing.scan || scan) && !existing.rewrite;
    if (!existing.what.split(', ').includes(what)) existing.what = `${existing.what}, ${what}`;
  }

  /** A partitioned table has no storage of its own: what rewrites it rewrites its partitions. A foreign table's rows are elsewhere: nothing is read either. */
  withoutStorage(table: string, options: { rows?: false } = {}): void {
    const existing = this.byTable.get(table);
    if (!existing) return;
    existing.rewrite = false;
    if (options.rows === false) existing.scan = false;
  }

  /** Marks the effect on `table` as reached through what the statement names (see LockEffect.reached). */
  markReached(table: string): void {
    const existing = this.byTable.get(table);
    if (existing) existing.reached = true;
  }

  /** Marks the effect on a sequence as one. */
  sequence(table: string): void {
    const existing = this.byTable.get(table);
    if (existing) existing.sequence = true;
  }

  /** The effect on one table, when there is one. */
  on(table: string): LockEffect | undefined {
    return this.byTable.get(table);
  }

  /** Relations read by a query: ACCESS SHARE. */
  reads(value: unknown, except: string[] = []): void {
    for (const name of relationsIn(value)) if (!except.includes(name)) this.add(name, 'ACCESS SHARE', 'read');
  }

  list(): LockEffect[] {
    return [...this.byTable.values()];
  }
}
