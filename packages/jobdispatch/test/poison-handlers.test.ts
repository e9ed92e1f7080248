/**
 * Handlers that throw values no code expects: an object with no prototype, a `toString` that
 * throws, a Proxy that throws on every trap, an Error whose `message` getter throws. None may
 * crash the dispatcher: each job ends `failed`, and the worker goes on to the next job.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Dispatcher, JobStatus, isDispatchError } from '../src/index.js';
import { POISON, POISON_RESULTS } from './poison.js';

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

  for (const [what, make] of Object.entries(POISON_RESULTS)) {
    it(`ends the job, and the jobs finishing with it, when a handler returns ${what}`, async () => {
      const d = new Dispatcher({ workers: 4, onError: () => undefined });
      dispatchers.push(d);
      d.register({ jobType: 'Poison', execute: () => Promise.resolve(make()) });
      d.register({ jobType: 'Fine', execute: () => Promise.resolve('ok') });
      await d.start();
      const fine = [];
      for (let i = 0; i < 3; i++) fine.push(await d.submit({ name: 'Fine' }));
      const poisoned = await d.submit({ name: 'Poison' });
      for (let i = 0; i < 3; i++) fine.push(await d.submit({ name: 'Fine' }));
      await d.wait(poisoned.id).catch(() => undefined);
      for (const job of fine) assert.equal(await d.wait(job.id), 'ok');
      const status = (await d.get(poisoned.id))?.status;
      assert.ok(status === JobStatus.Completed || status === JobStatus.Failed, status);
    });
  }
});
