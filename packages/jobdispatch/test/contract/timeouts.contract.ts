/**
 * Dispatcher contract, part: timeouts bound the wait. A handler that ignores its aborted signal
 * does not hold `wait()` past its deadline, and yet keeps its slot, and no second attempt of its
 * job starts before it returns. The handlers below ignore their signal for 2 s against a 100 ms
 * timeout: the margins are wide on purpose; the order of what happened is what is asserted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDispatchError } from '../../src/index.js';
import { RecordingHandler, aborted } from '../helpers.js';
import type { Harness } from './harness.js';

const IGNORES_SIGNAL_MS = 2000;
const TIMEOUT_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function timeoutsContract({ make }: Harness): void {
  describe('timeouts that bound the wait', () => {
    it('wait() rejects with JOB_TIMEOUT at the deadline, before a handler ignoring its signal returns; its late result is dropped', async () => {
      const d = await make({ workers: 1 });
      const log: string[] = [];
      const types: string[] = [];
      d.on('*', (event) => {
        if (event.jobId === 'slow') types.push(event.type);
      });
      d.register(
        new RecordingHandler('T', async (job, ctx) => {
          if (job.id !== 'slow') return 'ok';
          await aborted(ctx.signal);
          await sleep(IGNORES_SIGNAL_MS);
          log.push('handler returned');
          return 'late result';
        }),
        { timeoutMs: TIMEOUT_MS, stuckAfterMs: 60_000 },
      );
      await d.start();
      await d.submit({ id: 'slow', name: 'T' });
      await assert.rejects(d.wait('slow'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
      log.push('wait rejected');
      const atDeadline = await d.get('slow');
      assert.equal(atDeadline?.status, 'failed');
      assert.equal(atDeadline?.error?.code, 'JOB_TIMEOUT');
      // A job behind it runs once the slot frees, i.e. after the late return was handled.
      await d.submit({ id: 'after', name: 'T' });
      assert.equal(await d.wait('after'), 'ok');
      assert.deepEqual(log, ['wait rejected', 'handler returned']);
      const after = await d.get('slow');
      assert.equal(after?.status, 'failed');
      assert.equal(after?.result, undefined);
      assert.equal(after?.error?.code, 'JOB_TIMEOUT');
      assert.deepEqual(types, ['queued', 'started', 'failed'], 'no end written after the deadline');
    });

    it('the next job of a 1-worker dispatcher starts only after the timed-out handler returned', async () => {
      const d = await make({ workers: 1 });
      const log: string[] = [];
      d.register(
        new RecordingHandler('T', async (job, ctx) => {
          log.push(`${job.id} started`);
          if (job.id === 'slow') {
            await aborted(ctx.signal);
            await sleep(IGNORES_SIGNAL_MS);
          }
          log.push(`${job.id} returned`);
          return 'ok';
        }),
        { timeoutMs: TIMEOUT_MS, stuckAfterMs: 60_000 },
      );
      await d.start();
      await d.submit({ id: 'slow', name: 'T' });
      await d.submit({ id: 'next', name: 'T' });
      await assert.rejects(d.wait('slow'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
      log.push('slow timed out');
      assert.equal(await d.wait('next'), 'ok');
      assert.deepEqual(log, [
        'slow started',
        'slow timed out',
        'slow returned',
        'next started',
        'next returned',
      ]);
    });

    it('with retries: 1, the second attempt starts only after the first attempt returned', async () => {
      const d = await make({ workers: 2 });
      const log: string[] = [];
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          log.push(`attempt ${ctx.attempt} started`);
          if (ctx.attempt === 1) {
            await aborted(ctx.signal);
            await sleep(IGNORES_SIGNAL_MS);
          }
          log.push(`attempt ${ctx.attempt} returned`);
          return `attempt ${ctx.attempt}`;
        }),
        {
          timeoutMs: TIMEOUT_MS,
          stuckAfterMs: 60_000,
          retries: 1,
          backoff: { type: 'fixed', delayMs: 0 },
        },
      );
      await d.start();
      const job = await d.submit({ name: 'T' });
      assert.equal(await d.wait(job.id), 'attempt 2');
      assert.deepEqual(log, [
        'attempt 1 started',
        'attempt 1 returned',
        'attempt 2 started',
        'attempt 2 returned',
      ]);
      const record = await d.get(job.id);
      assert.equal(record?.attempts, 2);
    });
  });
}
