/**
 * Dispatcher contract, part: `wait(id, { signal, timeoutMs })` bounds the wait, never the job.
 * The jobs waited on are held by a gate, so a bound always passes first whatever the machine's load.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDispatchError } from '../../src/index.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

const invalid = (field: string) => (error: unknown) =>
  isDispatchError(error, 'INVALID_ARGUMENT') && error.message.startsWith(field);

export function waitOptionsContract({ make }: Harness): void {
  describe('wait with a signal and a bound of its own', () => {
    it('timeoutMs rejects with WAIT_TIMEOUT and leaves the job running; a later wait gets its result', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(new RecordingHandler('T', () => gate.promise.then(() => 'ok')));
      await d.start();
      const started = nextEvent(d, eventOf('started', 'held'));
      await d.submit({ id: 'held', name: 'T' });
      await started;
      await assert.rejects(d.wait('held', { timeoutMs: 50 }), (e) => {
        assert.ok(isDispatchError(e, 'WAIT_TIMEOUT'));
        assert.equal(e.jobId, 'held');
        assert.match(e.message, /50 ms/);
        return true;
      });
      assert.equal((await d.get('held'))?.status, 'running', 'the job is not touched');
      const later = d.wait('held', { timeoutMs: 60_000 });
      gate.resolve();
      assert.equal(await later, 'ok');
    });

    it('an aborted signal rejects the wait with its reason, at once if already aborted; the job goes on', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(new RecordingHandler('T', () => gate.promise.then(() => 'ok')));
      await d.start();
      await d.submit({ id: 'held', name: 'T' });
      const reason = new Error('the caller gave up');
      const controller = new AbortController();
      const waiting = d.wait('held', { signal: controller.signal });
      controller.abort(reason);
      await assert.rejects(waiting, (e) => e === reason);
      await assert.rejects(
        d.wait('held', { signal: AbortSignal.abort(reason), timeoutMs: 60_000 }),
        (e) => e === reason,
      );
      assert.notEqual((await d.get('held'))?.status, 'cancelled');
      gate.resolve();
      assert.equal(await d.wait('held', { signal: new AbortController().signal }), 'ok');
    });

    it('a job that ends within the bound resolves as without one', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.resolve('done')));
      await d.start();
      const job = await d.submit({ name: 'T' });
      const signal = new AbortController().signal;
      assert.equal(await d.wait(job.id, { timeoutMs: 60_000, signal }), 'done');
      await assert.rejects(d.wait('no-such-job', { timeoutMs: 60_000 }), (e) =>
        isDispatchError(e, 'JOB_NOT_FOUND'),
      );
    });

    it('a bad timeoutMs or signal is INVALID_ARGUMENT naming it', async () => {
      const d = await make({ workers: 1 });
      for (const timeoutMs of [0, -1, Number.NaN, Infinity, '100']) {
        await assert.rejects(
          d.wait('any', { timeoutMs: timeoutMs as number }),
          invalid('timeoutMs'),
          `timeoutMs ${String(timeoutMs)}`,
        );
      }
      await assert.rejects(d.wait('any', { signal: {} as AbortSignal }), invalid('signal'));
    });
  });
}
