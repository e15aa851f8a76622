#!/usr/bin/env node
/**
 * `tinyllama`: the command line of the TinyLlama platform (`npm run tinyllama -- <command>`, or
 * `node services/cli/main.ts <command>`). See docs/cli.md and `tinyllama --help`.
 */
import { runCli } from "./cli.ts";
import { processIo } from "./io.ts";

process.exitCode = await runCli(process.argv.slice(2), processIo());
