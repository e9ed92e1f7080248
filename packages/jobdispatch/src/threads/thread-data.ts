/**
 * `threadData()`: what a handler module running on a `threadedHandler` pool was given as the
 * pool's `workerData` option. Read it at the module's top level, once per thread:
 *
 *     const { settings } = threadData<{ settings: SolverSettings }>();
 *
 * The value is a structured clone, made when the pool was created; the type parameter is the
 * caller's word for its shape (nothing checks it).
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { DispatchError } from '../errors.js';
import type { ThreadSetup } from './protocol.js';

export function threadData<T = unknown>(): T {
  if (isMainThread || !isThreadSetup(workerData)) {
    throw new DispatchError(
      'INVALID_STATE',
      'threadData() is for a handler module loaded by a threadedHandler pool; this code is not running on one',
    );
  }
  return workerData.data as T;
}

function isThreadSetup(value: unknown): value is ThreadSetup {
  if (value === null || typeof value !== 'object') return false;
  const { module, jobType } = value as Partial<ThreadSetup>;
  return typeof module === 'string' && typeof jobType === 'string';
}
