/**
 * Shared by the thread tests: fixture module URLs, a per-test registry of dispatchers and thread
 * pools that are all stopped and closed after each test, and a bounded poll for states that no
 * event announces (a thread terminated after its job already ended).
 */
import { afterEach } from 'node:test';
import {
  Dispatcher,
  type DispatcherOptions,
  type ThreadedHandler,
  type ThreadedHandlerOptions,
  threadedHandler,
} from '../../src/index.js';
import type { BehaviourParams } from './fixtures/behaviour-handler.js';
import type { CpuParams, CpuResult } from './fixtures/cpu-handler.js';

// `.js` as a built app would write it; running from sources, the `.ts` twin is loaded.
export const BEHAVIOUR = new URL('./fixtures/behaviour-handler.js', import.meta.url);
export const CPU = new URL('./fixtures/cpu-handler.js', import.meta.url);
export const WRONG_TYPE = new URL('./fixtures/wrong-type-handler.js', import.meta.url);
export const NO_HANDLER = new URL('./fixtures/no-handler.js', import.meta.url);

const dispatchers: Dispatcher[] = [];
const handlers: ThreadedHandler<never, never>[] = [];

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 500 })));
  await Promise.all(handlers.splice(0).map((h) => h.close()));
});

export function dispatcher(options: DispatcherOptions = {}): Dispatcher {
  const d = new Dispatcher(options);
  dispatchers.push(d);
  return d;
}

export function pool<P, R>(options: ThreadedHandlerOptions): ThreadedHandler<P, R> {
  const handler = threadedHandler<P, R>(options);
  handlers.push(handler as unknown as ThreadedHandler<never, never>);
  return handler;
}

export function behaviourPool(
  options: Omit<ThreadedHandlerOptions, 'jobType' | 'module'> = {},
): ThreadedHandler<BehaviourParams> {
  return pool({ jobType: 'Behaviour', module: BEHAVIOUR, ...options });
}

export function cpuPool(
  options: Omit<ThreadedHandlerOptions, 'jobType' | 'module'> = {},
): ThreadedHandler<CpuParams, CpuResult> {
  return pool({ jobType: 'Cpu', module: CPU, ...options });
}

/** Resolves once `predicate` holds, checking every 5 ms; rejects after `limitMs`. */
export async function until(predicate: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
