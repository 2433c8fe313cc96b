import type { VersionRange } from '../migrations/discover.js';
import type { ConnectionTarget } from '../db/target.js';
import type { Log } from '../ui/log.js';
import type { SeedCatalog } from '../seed/catalog.js';
import type { ClickhouseSettings } from '../clickhouse/runner.js';

/**
 * What the engine needs from whoever runs it (the CLI, the library, a
 * server), handed down rather than imported: the engine never reaches for the
 * terminal, the process or the command line itself.
 */
export interface Context {
  /** Where human-readable progress goes (stderr for the CLI; silent for the library unless given a logger). */
  log: Log;
  /** The operator said yes in advance: never ask. */
  yes: boolean;
  migrationsDir: string;
  /** Only these versions of the folder are this database's (a project's database with a range of a shared folder). */
  versions?: VersionRange | undefined;
  releaseNotesDir: string;
  backupDir: string;
  /** The seed catalogs applied after the migrations (a project's database; none otherwise). */
  seeds?: SeedCatalog[] | undefined;
  /** Set for a ClickHouse database of a project: commands run astra's ClickHouse runner on it instead. */
  clickhouse?: ClickhouseSettings | undefined;
  /** The database this run talks to, decided once. */
  target(): Promise<ConnectionTarget>;
  /**
   * target(), when deciding it starts nothing (a URL, the PG* variables);
   * undefined when it would start the embedded cluster. For work that
   * connects before it has checked its input, which must change nothing when
   * bad. Absent: the target is decided only once that input has passed.
   */
  givenTarget?(): Promise<ConnectionTarget | undefined>;
  /** Aborted to stop the work at its next safe point; the CLI aborts it on SIGINT and SIGTERM. */
  signal: AbortSignal | undefined;
  /**
   * Asks a person a yes/no question. Absent when nobody can be asked (no
   * terminal, or a library caller that gave no `confirm`).
   */
  confirm: ((question: string, defaultAnswer: boolean) => Promise<boolean>) | undefined;
  /**
   * How progress is drawn: `auto`, a task list on stderr (live on a terminal,
   * line by line otherwise); `quiet`, stdout carries JSON, so no task list is
   * drawn and long steps print plain lines on stderr; `silent`, nothing is
   * drawn at all (the library: progress reaches only its logger).
   */
  progress: 'auto' | 'quiet' | 'silent';
}
