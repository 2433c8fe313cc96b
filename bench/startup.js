// Start-up: `astra --version` and `astra --help` against `node -e 0`, measured
// alternately in the same run; medians of wall time and of peak RSS.
import { astraBin, childEnv, runMeasured } from './lib/measure.js';
import { quantile } from './lib/stats.js';
import { formatKb, formatMs } from './lib/report.js';

const RUNS = 15;

const subjects = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'] },
  { name: 'astra --version', args: [astraBin, '--version'] },
  { name: 'astra --help', args: [astraBin, '--help'] },
];

export async function measureStartup(progress) {
  progress(`Start-up: ${subjects.map((subject) => subject.name).join(', ')}, ${RUNS} runs each, alternating...`);
  const samples = subjects.map(() => ({ wallMs: [], peakRssKb: [] }));
  for (let run = 0; run < RUNS; run++) {
    for (const [index, subject] of subjects.entries()) {
      const measured = await runMeasured('node', subject.args, { env: childEnv() });
      samples[index].wallMs.push(measured.wallMs);
      if (measured.peakRssKb !== undefined) samples[index].peakRssKb.push(measured.peakRssKb);
    }
  }
  const rows = subjects.map((subject, index) => ({
    name: subject.name,
    wallMs: quantile(samples[index].wallMs, 0.5),
    peakRssKb: quantile(samples[index].peakRssKb, 0.5),
  }));
  const [baseline] = rows;
  return rows.map((row) => ({
    ...row,
    wallRatio: row.wallMs / baseline.wallMs,
    rssRatio: row.peakRssKb !== undefined && baseline.peakRssKb !== undefined ? row.peakRssKb / baseline.peakRssKb : undefined,
  }));
}

export function renderStartup(rows) {
  const lines = [`Start-up (medians of ${RUNS} alternating runs; target: at most 1.5x node -e 0 in time and in peak RSS)`];
  lines.push(`  ${'what'.padEnd(22)} ${'wall'.padStart(8)} ${'x node'.padStart(7)} ${'peak RSS'.padStart(10)} ${'x node'.padStart(7)}`);
  for (const row of rows) {
    lines.push(
      `  ${row.name.padEnd(22)} ${formatMs(row.wallMs).padStart(8)} ${`${row.wallRatio.toFixed(2)}x`.padStart(7)} ${formatKb(row.peakRssKb).padStart(10)} ${(row.rssRatio === undefined ? 'n/a' : `${row.rssRatio.toFixed(2)}x`).padStart(7)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function startupJson(rows) {
  return rows.map((row) => ({
    name: row.name,
    wallMs: Math.round(row.wallMs),
    wallRatio: Number(row.wallRatio.toFixed(2)),
    peakRssKb: row.peakRssKb ?? null,
    rssRatio: row.rssRatio === undefined ? null : Number(row.rssRatio.toFixed(2)),
  }));
}
