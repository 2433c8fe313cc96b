import { performance } from 'node:perf_hooks';
import pg from 'pg';

const POLL_MS = 10;

/**
 * Watches pg_stat_progress_create_index for a build on `table`, from its own
 * connection, every 10 ms: when the server first and last showed the build,
 * and the phases it went through. This is the build as the server ran it,
 * without the start-up of whatever program asked for it.
 */
export class BuildWatch {
  #client;
  #table;
  #stopping = false;
  #loop;
  firstSeen;
  lastSeen;
  phases = [];

  constructor(config, table) {
    this.#client = new pg.Client(config);
    this.#table = table;
  }

  async start() {
    await this.#client.connect();
    this.#loop = this.#run();
    this.#loop.catch(() => {});
  }

  async #run() {
    while (!this.#stopping) {
      const { rows } = await this.#client.query('SELECT phase FROM pg_stat_progress_create_index WHERE relid = to_regclass($1)', [this.#table]);
      const now = performance.now();
      if (rows.length > 0) {
        this.firstSeen ??= now;
        this.lastSeen = now;
        const phase = rows[0].phase;
        if (this.phases.at(-1) !== phase) this.phases.push(phase);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The build's window, or undefined when it was never seen (shorter than a poll). */
  async stop() {
    this.#stopping = true;
    try {
      await this.#loop;
    } finally {
      await this.#client.end();
    }
    return this.firstSeen === undefined ? undefined : { from: this.firstSeen, to: this.lastSeen };
  }
}
