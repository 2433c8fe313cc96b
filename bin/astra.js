#!/usr/bin/env node
// The CLI runs from its bundle (dist/bundle/, made by npm run build): see scripts/bundle.js.
// This file and the bundle are CommonJS (bin/package.json, dist/bundle/package.json): Node 20
// loads them with less work than ES modules.
// `astra --version` alone reads the version and loads nothing else: the bundle's argument parser
// and its chunks are most of what it would otherwise take (bench/RESULTS.md). Any other arguments,
// --version among them, go to the parser, which prints the same line.
// On Node 22.1 and later, V8's compiled code is kept between runs (src/compile-cache.ts).
'use strict';
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  require('../dist/bundle/compile-cache.js').useCompileCache();
  const { main } = require('../dist/bundle/cli.js');
  // Failed until main() says otherwise: should its work ever wait on something that never
  // comes, Node exits once nothing is left to run, and that must not read as success.
  process.exitCode = 1;
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    // main() reports every error of a command itself; this is astra failing before it could
    // (the exit code is still the 1 set above).
    (error) => {
      process.stderr.write(`error: ${(args.includes('--debug') && error?.stack) || error?.message || error}\n`);
    },
  );
}
