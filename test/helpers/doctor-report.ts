/** One check's line of the human report: its symbol, detail and fix. */
export function entry(stdout: string, title: string): { status: string; detail: string; fix: string | undefined } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`  ✔ ${title} `) || line.startsWith(`  ⚠ ${title} `) || line.startsWith(`  ✖ ${title} `));
  if (at < 0) throw new Error(`no "${title}" in the report:\n${stdout}`);
  const line = lines[at]!;
  const status = { '✔': 'ok', '⚠': 'warn', '✖': 'fail' }[line.slice(2, 3)]!;
  const next = lines[at + 1]?.trim();
  return { status, detail: line.slice(4 + title.length).trim(), fix: next?.startsWith('fix: ') ? next.slice(5) : undefined };
}
