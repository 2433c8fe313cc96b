import { performance } from 'node:perf_hooks';
import pg from 'pg';

/**
 * An application writing to the big table: one connection, one statement at
 * a time (autocommit), alternating a single-row INSERT and a single-row
 * UPDATE by primary key. Each statement's start and end are recorded on the
 * same clock as the builds, so that latency while a build runs can be read.
 */
export class Writer {
  #client;
  #maxId;
  #stopping = false;
  #loop;
  writes = [];

  constructor(config, maxId) {
    this.#client = new pg.Client(config);
    this.#maxId = maxId;
  }

  async start() {
    await this.#client.connect();
    this.#loop = this.#run();
    // A failed write is reported by stop(); until then it must not count as unhandled.
    this.#loop.catch(() => {});
  }

  async #run() {
    for (let n = 0; !this.#stopping; n++) {
      const start = performance.now();
      if (n % 2 === 0) {
        await this.#client.query('INSERT INTO events (account, kind, payload) VALUES ($1, $2, $3)', [`acct-writer-${n % 97}`, 'login', `written while the index is built, #${n}`]);
      } else {
        await this.#client.query('UPDATE events SET kind = $1 WHERE id = $2', ['purchase', 1 + Math.floor(Math.random() * this.#maxId)]);
      }
      this.writes.push({ start, end: performance.now() });
    }
  }

  /** Waits for the statement in flight, then closes the connection. */
  async stop() {
    this.#stopping = true;
    try {
      await this.#loop;
    } finally {
      await this.#client.end();
    }
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
