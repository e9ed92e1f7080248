/** Dispatcher contract, part: limits over the whole queue (`rateLimit`, `globalConcurrency`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Backend,
  Dispatcher,
  type JobEvent,
  JobPriority,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

/** The largest number of `times` in any half-open window [t, t + windowMs). */
export function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** A backend that counts its claims. */
function countingClaims(inner: Backend): { backend: Backend; claims: () => number } {
  let claims = 0;
  const backend = new Proxy(inner, {
    get(target, property): unknown {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'claim') {
        return (...args: Parameters<Backend['claim']>) => {
          claims++;
          return target.claim(...args);
        };
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { backend, claims: () => claims };
}

export function limitsContract({ make, makeBackend, adopt }: Harness): void {
  describe('rate limits and global concurrency', () => {
    it('a rate-limited type starts at most max jobs in any perMs window while an unlimited type runs meanwhile, and the worker sleeps until the window frees', async () => {
      const { backend, claims } = countingClaims(await makeBackend({}));
      const d = new Dispatcher({ workers: 4, backend });
      adopt(d, backend);
      const limited = new RecordingHandler('Limited');
      const free = new RecordingHandler('Free');
      d.register(limited, { rateLimit: { max: 2, perMs: 250 } }).register(free);
      const starts: JobEvent[] = [];
      d.on('started', (event) => void starts.push(event));
      const jobs = [];
      for (let i = 0; i < 6; i++) jobs.push(await d.submit({ id: `l${i}`, name: 'Limited' }));
      for (let i = 0; i < 4; i++) jobs.push(await d.submit({ id: `f${i}`, name: 'Free' }));
      await d.start();
      await Promise.all(jobs.map((job) => d.wait(job.id)));
      const limitedAt = starts.filter((e) => e.name === 'Limited').map((e) => e.at);
      const freeAt = starts.filter((e) => e.name === 'Free').map((e) => e.at);
      assert.equal(limitedAt.length, 6);
      assert.ok(mostInWindow(limitedAt, 250) <= 2, `limited starts at ${limitedAt.join(', ')}`);
      const third = [...limitedAt].sort((a, b) => a - b)[2] as number;
      assert.ok(
        freeAt.every((at) => at < third),
        `the unlimited type did not wait for the limited one: ${freeAt.join(', ')} vs ${third}`,
      );
      assert.deepEqual(limited.ran, ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'], 'FIFO within the type');
      // Three windows of about 250 ms: a loop that polled would claim hundreds of times.
      assert.ok(claims() < 60, `${claims()} claims`);
    });

    it('priority order holds among the types that may start: a rate-limited HIGH type waits without holding back NORMAL and LOW', async () => {
      const d = await make({ workers: 1 });
      const limited = new RecordingHandler('Limited');
      const free = new RecordingHandler('Free');
      d.register(limited, { rateLimit: { max: 1, perMs: 60_000 } }).register(free);
      const order: string[] = [];
      d.on('started', (event) => void order.push(event.jobId));
      await d.submit({ id: 'h1', name: 'Limited', priority: JobPriority.High });
      await d.submit({ id: 'h2', name: 'Limited', priority: JobPriority.High });
      await d.submit({ id: 'low', name: 'Free', priority: JobPriority.Low });
      await d.submit({ id: 'normal', name: 'Free', priority: JobPriority.Normal });
      await d.start();
      await Promise.all([d.wait('h1'), d.wait('normal'), d.wait('low')]);
      assert.deepEqual(order, ['h1', 'normal', 'low']);
      assert.equal((await d.get('h2'))?.status, 'queued', 'its window holds for a minute');
    });

    it('globalConcurrency caps the running jobs of a type, other types going on, and each end frees a slot', async () => {
      const d = await make({ workers: 4 });
      const gates = new Map(['c0', 'c1', 'c2', 'c3', 'c4'].map((id) => [id, deferred()]));
      const capped = new RecordingHandler('Capped', (job) => gates.get(job.id)!.promise);
      const free = new RecordingHandler('Free');
      d.register(capped, { globalConcurrency: 2 }).register(free);
      const twoStarted = Promise.all([
        nextEvent(d, eventOf('started', 'c0')),
        nextEvent(d, eventOf('started', 'c1')),
      ]);
      for (const id of gates.keys()) await d.submit({ id, name: 'Capped' });
      await d.start();
      await twoStarted;
      // A job submitted after them runs while three wait: the capped type holds back nothing.
      const after = await d.submit({ name: 'Free' });
      await d.wait(after.id);
      assert.deepEqual(capped.ran, ['c0', 'c1']);
      const counts = await d.counts({ name: 'Capped' });
      assert.equal(counts.running, 2);
      assert.equal(counts.queued, 3);
      for (let k = 0; k < 5; k++) {
        // Each end frees one slot, and the next queued job takes it.
        const next = k + 2 < 5 ? nextEvent(d, eventOf('started', `c${k + 2}`)) : undefined;
        gates.get(`c${k}`)!.resolve();
        await d.wait(`c${k}`);
        await next;
      }
      assert.equal(capped.maxRunning, 2);
      assert.deepEqual(capped.ran, ['c0', 'c1', 'c2', 'c3', 'c4']);
    });

    it('bad limits are INVALID_ARGUMENT naming the field and the value', async () => {
      const d = await make({ workers: 1 });
      const cases: [string, object, string][] = [
        ['rateLimit.max', { rateLimit: { max: 0, perMs: 1000 } }, '0'],
        ['rateLimit.max', { rateLimit: { max: 1.5, perMs: 1000 } }, '1.5'],
        ['rateLimit.perMs', { rateLimit: { max: 1, perMs: -5 } }, '-5'],
        ['rateLimit.perMs', { rateLimit: { max: 1 } }, 'undefined'],
        ['rateLimit', { rateLimit: 10 }, '10'],
        ['globalConcurrency', { globalConcurrency: 0 }, '0'],
        ['globalConcurrency', { globalConcurrency: '2' }, '2'],
      ];
      for (const [field, options, value] of cases) {
        assert.throws(
          () => d.register(new RecordingHandler(`T-${field}-${value}`), options),
          (error: unknown) => {
            assert.ok(isDispatchError(error) && error.code === 'INVALID_ARGUMENT', String(error));
            assert.ok(error.message.startsWith(`${field} must be`), error.message);
            assert.ok(error.message.includes(value), error.message);
            return true;
          },
        );
      }
    });
  });
}
