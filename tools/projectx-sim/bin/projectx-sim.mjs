#!/usr/bin/env node
// Launcher of the ProjectX Gateway simulator: the sources are TypeScript, run through tsx's loader.
// Resolves tsx and the sources relative to this file, so it works from any working directory.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli.ts', import.meta.url).href);
await main(process.argv.slice(2));
