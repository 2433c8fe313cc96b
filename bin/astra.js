#!/usr/bin/env node
// The CLI runs from its bundle (dist/bundle/, made by npm run build): see scripts/bundle.js.
// On Node 22.1 and later, V8's compiled code is kept between runs (src/compile-cache.ts).
import { useCompileCache } from '../dist/compile-cache.js';

useCompileCache();
const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv);
