#!/usr/bin/env node
// The CLI runs from its bundle (dist/bundle/, made by npm run build): see scripts/bundle.js.
import { main } from '../dist/bundle/cli.js';

process.exitCode = await main(process.argv);
