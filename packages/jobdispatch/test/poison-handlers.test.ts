/**
 * Handlers that throw values no code expects: an object with no prototype, a `toString` that
 * throws, a Proxy that throws on every trap, an Error whose `message` getter throws. None may
 * crash the dispatcher: each job ends `failed`, and the worker goes on to the next job.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Dispatcher, JobStatus, isDispatchError } from '../src/index.js';

/** Values thrown by the poison handlers, by name. */
export const POISON: Readonly<Record<string, () => unknown>> = {
  'an object with no prototype': (): unknown => Object.create(null) as unknown,
  'an object whose toString throws': () => ({
    toString() {
      throw new Error('no string for you');
    },
  }),
  'a Proxy that throws on every trap': () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('get trap');
        },
        getPrototypeOf() {
          throw new Error('getPrototypeOf trap');
        },
        has() {
          throw new Error('has trap');
        },
      },
    ),
  'an Error whose message getter throws': () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('message getter');
      },
    });
    return error;
  },
  'a Symbol': () => Symbol('poison'),
  'an Error whose message is not a string': () =>
    Object.assign(new Error(), { message: { nested: true } }),
};

const dispatchers: Dispatcher[] = [];

describe('poison handlers', () => {
  afterEach(() => Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 1000 }))));

  for (const [what, make] of Object.entries(POISON)) {
    it(`ends the job failed, and runs the next one, when a handler throws ${what}`, async () => {
      const errors: unknown[] = [];
      const d = new Dispatcher({ workers: 1, onError: (error) => errors.push(error) });
      dispatchers.push(d);
      d.register({
        jobType: 'Poison',
        execute: () => {
          throw make();
        },
      });
      d.register({ jobType: 'Fine', execute: () => Promise.resolve('ok') });
      await d.start();
      const poisoned = await d.submit({ name: 'Poison' });
      const fine = await d.submit({ name: 'Fine' });
      await assert.rejects(d.wait(poisoned.id), (e) => isDispatchError(e, 'JOB_FAILED'));
      assert.equal(await d.wait(fine.id), 'ok');
      const record = await d.get(poisoned.id);
      assert.equal(record?.status, JobStatus.Failed);
      assert.equal(typeof record?.error?.message, 'string');
      assert.ok((record?.error?.message ?? '').length > 0);
    });
  }
});
