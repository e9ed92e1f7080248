/**
 * The module every pool thread loads (piscina's `filename`). It loads the handler module once per
 * thread, as soon as the thread starts, and runs one job per task: the handler gets the job and a
 * `JobContext` bound to the job's channel, and its end (a result or an error) is sent back on
 * that channel. A handler's error never escapes this function, so it fails only its job and the
 * thread lives on; a thread dies only when something kills it (process.exit, out of memory, an
 * error thrown outside the handler's promise, or the main thread terminating it).
 *
 * Loading TypeScript: under `node --import tsx` on Node 20, ESM loader hooks do not reach worker
 * threads, but the CommonJS hook does, and piscina loads this file with `require()` first. So when
 * this file runs as CommonJS (from sources), the handler module is loaded the same way, which also
 * keeps one copy of the library in the thread (`isDispatchError` works on `ctx.signal.reason`).
 * Built JavaScript is ESM and uses `import()`. Each falls back to the other when it cannot load
 * the file at all.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { UnrecoverableError } from '../errors.js';
import type { JobHandler } from '../handler.js';
import {
  type SerializedError,
  type ThreadSetup,
  type ThreadTask,
  serializeError,
} from './protocol.js';
import { ThreadLink } from './thread-link.js';

const setup = workerData as ThreadSetup;
const handler = loadHandler(setup);
handler.catch(() => undefined); // reported to each task that needs the handler

/** How long a `load` task waits at its barrier for the other threads. */
const BARRIER_LIMIT_MS = 10_000;

/** Runs one task; for `load`, answers the error that prevents loading the handler, if any. */
export default async function runInThread(task: ThreadTask): Promise<SerializedError | undefined> {
  if (task.kind === 'load') {
    const failure = await handler.then(
      () => undefined,
      (error: unknown) => serializeError(error),
    );
    // Holding this thread until the others arrive makes piscina give each thread one task.
    const { barrier, threads } = task;
    Atomics.add(barrier, 0, 1);
    Atomics.notify(barrier, 0);
    const deadline = Date.now() + BARRIER_LIMIT_MS;
    for (let seen = Atomics.load(barrier, 0); seen < threads && Date.now() < deadline;) {
      Atomics.wait(barrier, 0, seen, deadline - Date.now());
      seen = Atomics.load(barrier, 0);
    }
    return failure;
  }
  const link = new ThreadLink(task.port, task.abortFlag);
  try {
    const ctx = link.context(task.workerId, task.attempt);
    const loaded = await handler;
    ctx.signal.throwIfAborted();
    link.finish({ kind: 'result', value: await loaded.execute(task.job, ctx) });
  } catch (error) {
    link.finish({ kind: 'error', error: serializeError(error) });
  } finally {
    link.close();
  }
  return undefined;
}

async function loadHandler({ module, jobType }: ThreadSetup): Promise<JobHandler> {
  let namespace: unknown;
  try {
    namespace = await importModule(module);
  } catch (error) {
    throw new UnrecoverableError(
      `cannot load the handler module ${module}: ${(error as Error).message ?? String(error)}`,
    );
  }
  const found = findHandler(namespace);
  if (found === undefined) {
    throw new UnrecoverableError(
      `the handler module ${module} must have a default export { jobType, execute(job, ctx) }`,
    );
  }
  if (found.jobType !== jobType) {
    throw new UnrecoverableError(
      `the handler module ${module} declares jobType ${JSON.stringify(found.jobType)}, but its pool was created for "${jobType}"`,
    );
  }
  return found;
}

/** The default export, through the `{ default }` wrappers CommonJS interop may add. */
function findHandler(namespace: unknown): JobHandler | undefined {
  let candidate = namespace;
  for (let depth = 0; depth < 3; depth++) {
    if (isHandler(candidate)) return candidate;
    if (candidate === null || typeof candidate !== 'object' || !('default' in candidate)) break;
    candidate = candidate.default;
  }
  return undefined;
}

function isHandler(value: unknown): value is JobHandler {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { execute?: unknown }).execute === 'function' &&
    'jobType' in value
  );
}

const FORMAT_ERRORS = new Set(['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_REQUIRE_ESM']);

async function importModule(href: string): Promise<unknown> {
  const viaRequire = (): unknown => createRequire(import.meta.url)(fileURLToPath(href));
  const viaImport = (): Promise<unknown> => import(href);
  // `require` is only defined here when this file was compiled to CommonJS on load (sources).
  const [first, second] =
    typeof require === 'function' ? [viaRequire, viaImport] : [viaImport, viaRequire];
  try {
    return await first();
  } catch (error) {
    if (!FORMAT_ERRORS.has((error as { code?: string }).code ?? '')) throw error;
    return second();
  }
}
