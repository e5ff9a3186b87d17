#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
// (The node flags are the service's: see RISKD_NODE_FLAGS in src/service/service-spec.ts.)
// The `riskd` command. The sources are TypeScript: tsx's loader compiles them, and a resolve hook
// adds the `@riskd/source` export condition so the workspace packages resolve to their sources.
// Everything is resolved relative to this file, so it works from any working directory.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register(new URL('./source-condition-hook.mjs', import.meta.url));
registerTsx();
await import('reflect-metadata');
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
