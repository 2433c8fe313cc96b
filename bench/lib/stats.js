/** The q-quantile (0..1) of numbers, nearest rank; undefined for none. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * What a writer saw during a window [from, to] (milliseconds on one clock):
 * the writes that finished inside it, and the latency of every write that
 * overlapped it (a write blocked by the build started inside and ended after).
 */
export function windowStats(writes, from, to) {
  const completed = writes.filter((write) => write.end >= from && write.end <= to);
  const overlapping = writes.filter((write) => write.start <= to && write.end >= from);
  const latencies = overlapping.map((write) => write.end - write.start);
  const seconds = (to - from) / 1000;
  return {
    windowMs: to - from,
    writesCompleted: completed.length,
    writesPerSecond: seconds > 0 ? completed.length / seconds : 0,
    p50LatencyMs: quantile(latencies, 0.5),
    p99LatencyMs: quantile(latencies, 0.99),
    maxLatencyMs: latencies.length ? Math.max(...latencies) : undefined,
  };
}
