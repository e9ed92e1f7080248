/**
 * Type limits and schedules at the seam: `ClaimRequest.limits` (a sliding rate window and a
 * global running cap, freed by finish, retry and release; `waitForWork` wakes when a window
 * frees) and the schedule store (`putSchedule` idempotent by definition, `advanceSchedule` a
 * compare-and-set).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, Claim, TypeLimits } from '../../../src/index.js';
import type { BackendHarness } from './harness.js';

const ids = (claims: readonly Claim[]): string[] => claims.map((c) => c.job.id);

export function controlsContract(h: BackendHarness): void {
  const claim = (backend: Backend, limits: ReadonlyMap<string, TypeLimits>, max = 10) =>
    backend.claim({ max, remaining: new Map(), limits });

  describe('type limits', () => {
    it('a rate-limited type starts at most max jobs in any perMs window, the window sliding, other types unaffected', async () => {
      const backend = await h.make();
      const limited = [];
      for (let i = 0; i < 4; i++) limited.push(await h.submit(backend, { name: 'R' }));
      const free = await h.submit(backend, { name: 'F' });
      const limits = new Map([['R', { rateLimit: { max: 2, perMs: 1000 } }]]);
      assert.deepEqual(ids(await claim(backend, limits)), [
        limited[0]!.id,
        limited[1]!.id,
        free.id,
      ]);
      h.clock.advance(400);
      assert.deepEqual(await claim(backend, limits), []);
      h.clock.advance(599);
      assert.deepEqual(await claim(backend, limits), [], 'the window holds for perMs');
      h.clock.advance(1);
      assert.deepEqual(ids(await claim(backend, limits)), [limited[2]!.id, limited[3]!.id]);
    });

    it('globalConcurrency caps running jobs of the type; finish, retry and release each free a slot', async () => {
      const backend = await h.make();
      const jobs = [];
      for (let i = 0; i < 5; i++) jobs.push(await h.submit(backend, { name: 'G' }));
      const limits = new Map([['G', { globalConcurrency: 2 }]]);
      const [a, b] = await claim(backend, limits);
      assert.deepEqual(ids([a!, b!]), [jobs[0]!.id, jobs[1]!.id]);
      assert.deepEqual(await claim(backend, limits, 1), []);
      assert.equal(await backend.finish(a!, { status: 'completed', result: 1 }), true);
      const [c] = await claim(backend, limits);
      assert.equal(c?.job.id, jobs[2]!.id);
      assert.deepEqual(await claim(backend, limits), []);
      await backend.retry(b!, { code: 'JOB_FAILED', message: 'again' }, 0);
      const [d] = await claim(backend, limits);
      assert.equal(d?.job.id, jobs[3]!.id, 'the next in line (the retry went to the back)');
      await backend.release(c);
      const [e] = await claim(backend, limits);
      assert.equal(e?.job.id, jobs[2]!.id, 'the released job, back at the front');
      assert.deepEqual(await claim(backend, limits), []);
      assert.equal((await backend.counts('G')).running, 2);
    });

    it('waitForWork resolves when the rate window of a waiting limited type frees', async () => {
      const backend = await h.make();
      await h.submit(backend, { name: 'R' });
      await h.submit(backend, { name: 'R' });
      const limits = new Map([['R', { rateLimit: { max: 1, perMs: 300 } }]]);
      assert.equal((await claim(backend, limits)).length, 1);
      assert.deepEqual(await claim(backend, limits), []); // clears any earlier arrival
      const controller = new AbortController();
      let woke = false;
      const waiting = backend.waitForWork(controller.signal).then(() => (woke = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(woke, false, 'the window is full');
      h.clock.advance(300);
      const limit = setTimeout(() => controller.abort(), 5000);
      await waiting;
      clearTimeout(limit);
      assert.equal(controller.signal.aborted, false, 'woken by the window, not by the 5 s limit');
      assert.equal((await claim(backend, limits)).length, 1);
    });
  });

  describe('schedules', () => {
    it('putSchedule keeps the next run of the same definition and replaces another; schedules() lists by key', async () => {
      const backend = await h.make();
      const at = h.clock.now();
      assert.deepEqual(await backend.putSchedule('b', '{"v":1}', at + 100), {
        key: 'b',
        definition: '{"v":1}',
        nextRunAt: at + 100,
      });
      assert.equal((await backend.putSchedule('b', '{"v":1}', at + 999)).nextRunAt, at + 100);
      assert.equal((await backend.putSchedule('b', '{"v":2}', at + 500)).nextRunAt, at + 500);
      await backend.putSchedule('a', '{"v":3}', at + 50);
      assert.deepEqual(await backend.schedules(), [
        { key: 'a', definition: '{"v":3}', nextRunAt: at + 50 },
        { key: 'b', definition: '{"v":2}', nextRunAt: at + 500 },
      ]);
    });

    it('advanceSchedule moves the next run only from the expected value; removeSchedule says whether it existed', async () => {
      const backend = await h.make();
      const at = h.clock.now();
      await backend.putSchedule('k', '{}', at + 100);
      const [first, second] = await Promise.all([
        backend.advanceSchedule('k', at + 100, at + 200),
        backend.advanceSchedule('k', at + 100, at + 200),
      ]);
      assert.deepEqual([first, second].sort(), [false, true], 'one of two racing ticks wins');
      assert.equal(await backend.advanceSchedule('k', at + 100, at + 300), false);
      assert.equal((await backend.schedules())[0]?.nextRunAt, at + 200);
      assert.equal(await backend.advanceSchedule('missing', at, at + 1), false);
      assert.equal(await backend.removeSchedule('k'), true);
      assert.equal(await backend.removeSchedule('k'), false);
      assert.deepEqual(await backend.schedules(), []);
      assert.equal(await backend.advanceSchedule('k', at + 200, at + 300), false);
    });
  });
}
