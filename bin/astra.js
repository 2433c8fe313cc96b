#!/usr/bin/env node
// The CLI runs from its bundle (dist/bundle/, made by npm run build): see scripts/bundle.js.
// `astra --version` alone reads the version and loads nothing else: the bundle's argument parser
// and its chunks are most of what it would otherwise take (bench/RESULTS.md). Any other arguments,
// --version among them, go to the parser, which prints the same line.
// On Node 22.1 and later, V8's compiled code is kept between runs (src/compile-cache.ts).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { astraVersion } = await import('../dist/version.js');
  process.stdout.write(`${astraVersion}\n`);
} else {
  const { useCompileCache } = await import('../dist/compile-cache.js');
  useCompileCache();
  const { main } = await import('../dist/bundle/cli.js');
  process.exitCode = await main(process.argv);
}
