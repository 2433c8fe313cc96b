import { formatMs } from '../duration.js';

/** A duration as a person reads an age: "40 ms", "12.0 s", "6 min", "3 h", "2 days". */
export function formatAge(ms: number): string {
  if (ms < 60_000) return formatMs(Math.max(0, ms));
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  if (ms < 48 * 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  return `${Math.floor(ms / (24 * 3_600_000))} days`;
}
