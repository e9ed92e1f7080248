#!/usr/bin/env node
/** The `jobdispatch` executable: runs one command line and exits with its code (see `ExitCode`). */
import { runCli } from './run.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
// Connections are closed by now; should anything still hold the process open, leave anyway.
setTimeout(() => process.exit(code), 2000).unref();
