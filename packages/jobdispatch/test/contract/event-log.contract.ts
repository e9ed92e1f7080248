/**
 * Dispatcher contract, part: the event log. Every event has an id increasing in queue order;
 * `events({ after })` replays exactly what came after an id then goes live; a trimmed window is a
 * `gap`; `watch(id)` is a snapshot then the job's events up to its final one. Every iteration is
 * bounded by a signal, so a missing event fails the test instead of hanging it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_EVENT_BUFFER,
  type Dispatcher,
  type JobEvent,
  type StreamEvent,
  type WatchEvent,
  compareEventIds,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

const LIMIT_MS = 15_000;

/**
 * Takes items until `until` says stop (that item included), leaving the iterator open; fails if
 * the iteration ends first.
 */
async function take<T>(iterator: AsyncIterator<T>, until: (item: T, all: T[]) => boolean) {
  const items: T[] = [];
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    items.push(next.value);
    if (until(next.value, items)) return items;
  }
  assert.fail(`the iteration ended after ${items.length} items, before the expected one`);
}

/** Every event of `d` from now on, in the order the listener got them. */
function record(d: Dispatcher): JobEvent[] {
  const seen: JobEvent[] = [];
  d.on('*', (event) => seen.push(event));
  return seen;
}

const bounded = () => AbortSignal.timeout(LIMIT_MS);
const invalid = (field: string) => (error: unknown) =>
  isDispatchError(error, 'INVALID_ARGUMENT') && error.message.startsWith(field);

export function eventLogContract({ make }: Harness): void {
  describe('the event log', () => {
    it('every event carries an id, strictly increasing in the order listeners get them', async () => {
      const d = await make({ workers: 2 });
      d.register(new RecordingHandler('T', () => Promise.resolve('ok')));
      const seen = record(d);
      await d.start();
      for (const id of ['a', 'b', 'c']) await d.submit({ id, name: 'T' });
      await Promise.all(['a', 'b', 'c'].map((id) => d.wait(id)));
      assert.ok(seen.length >= 9, `queued, started, completed for each: ${seen.length}`);
      for (let i = 1; i < seen.length; i++) {
        assert.equal(typeof seen[i]!.id, 'string');
        assert.ok(
          compareEventIds(seen[i - 1]!.id, seen[i]!.id) < 0,
          `${seen[i - 1]!.id} < ${seen[i]!.id}`,
        );
      }
    });

    it('events({ after }) replays exactly the events after that id, then goes on live with no repeat', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.resolve('ok')));
      const seen = record(d);
      await d.start();
      for (const id of ['a', 'b', 'c']) await d.submit({ id, name: 'T' });
      await Promise.all(['a', 'b', 'c'].map((id) => d.wait(id)));
      const cut = seen[2]!.id;
      const missed = seen.slice(3).map((e) => e.id);
      const iterator = d.events({ after: cut, signal: bounded() });
      const replayed = await take(iterator, (_e, all) => all.length === missed.length);
      assert.deepEqual(
        replayed.map((e) => e.id),
        missed,
      );
      const live = d.submit({ id: 'd', name: 'T' });
      const next = await take(iterator, (e) => e.type === 'completed');
      await live;
      await iterator.return?.();
      assert.deepEqual(
        next.map((e) => (e.type === 'gap' ? 'gap' : `${e.type}:${e.jobId}`)),
        ['queued:d', 'started:d', 'completed:d'],
      );
      assert.deepEqual(
        next.map((e) => e.id),
        seen.slice(-3).map((e) => e.id),
        'the live events are those the listeners got, once each',
      );
    });

    it('a trimmed window yields one gap first, then the retained events', async () => {
      const d = await make({ workers: 0, events: { maxCount: 1 } });
      const seen = record(d);
      await d.start();
      // Enough that Redis, which trims whole stream nodes (100 entries), trims some too. In rounds
      // of 50, each awaited: a submit resolves once its events reached the listeners, so they see
      // every event before a later round trims it (a burst of more than 100 in one script call
      // would trim its own first entries before any reader could see them).
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => d.submit({ id: `j${round * 50 + i}`, name: 'T' })),
        );
      }
      const first = seen[0]!.id;
      const iterator = d.events({ after: first, signal: bounded() });
      const items = await take(iterator, (e) => e.type !== 'gap' && e.jobId === 'j249');
      await iterator.return?.();
      const gap = items[0]!;
      assert.equal(gap.type, 'gap');
      assert.equal(items.filter((e) => e.type === 'gap').length, 1);
      if (gap.type !== 'gap') return;
      assert.equal(gap.after, first);
      const rest = items.slice(1) as JobEvent[];
      assert.equal(gap.oldest, rest[0]!.id, 'oldest names the first event that follows');
      assert.ok(compareEventIds(gap.id, rest[0]!.id) < 0);
      assert.ok(rest.length < seen.length - 1, 'some events were trimmed');
      assert.deepEqual(
        rest.map((e) => e.id),
        seen.slice(seen.length - rest.length).map((e) => e.id),
        'what follows the gap is the retained tail of the log, in order',
      );
      const again = d.events({ after: gap.id, signal: bounded() });
      const [resumed] = await take(again, () => true);
      await again.return?.();
      assert.notEqual(resumed?.type, 'gap', 'resuming after the gap id reports no gap');
    });

    it('filters by jobId and types, in a replay and live', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.resolve('ok')));
      const seen = record(d);
      const live = d.events({ jobId: 'b', types: ['completed', 'started'], signal: bounded() });
      const liveItems = take(live, (e) => e.type === 'completed');
      await d.start();
      for (const id of ['a', 'b', 'c']) await d.submit({ id, name: 'T' });
      await Promise.all(['a', 'b', 'c'].map((id) => d.wait(id)));
      const describeAll = (items: StreamEvent[]) =>
        items.map((e) => (e.type === 'gap' ? 'gap' : `${e.type}:${e.jobId}`));
      assert.deepEqual(describeAll(await liveItems), ['started:b', 'completed:b']);
      const replay = d.events({ after: seen[0]!.id, jobId: 'c', signal: bounded() });
      const replayed = await take(replay, (e) => e.type === 'completed');
      await replay.return?.();
      assert.deepEqual(describeAll(replayed), ['queued:c', 'started:c', 'completed:c']);
    });

    it('a consumer more than DEFAULT_EVENT_BUFFER events behind still gets every event once, in order, from the log', async () => {
      const total = DEFAULT_EVENT_BUFFER + 500;
      const d = await make({
        workers: 0,
        capacityPerLevel: total,
        events: { maxCount: total + 100 },
      });
      const seen = record(d);
      await d.start();
      const iterator = d.events({ signal: bounded() });
      const firstItem = iterator.next(); // subscribed and waiting, then left behind
      await Promise.all(
        Array.from({ length: total }, (_, i) => d.submit({ id: `j${i}`, name: 'T' })),
      );
      const items = [(await firstItem).value as StreamEvent];
      items.push(...(await take(iterator, (e) => e.type !== 'gap' && e.jobId === `j${total - 1}`)));
      await iterator.return?.();
      assert.equal(seen.length, total);
      assert.deepEqual(
        items.map((e) => e.id),
        seen.map((e) => e.id),
        'no gap, no repeat: the log filled in what the buffer dropped',
      );
    });

    it('events() ends when its signal aborts and when the dispatcher stops', async () => {
      const d = await make({ workers: 0 });
      await d.start();
      const controller = new AbortController();
      const aborted = d.events({ signal: controller.signal });
      const pending = aborted.next();
      controller.abort();
      assert.deepEqual(await pending, { value: undefined, done: true });
      const open = d.events();
      const waiting = open.next();
      await d.stop();
      assert.deepEqual(await waiting, { value: undefined, done: true });
    });

    it('bad options are INVALID_ARGUMENT naming the field', async () => {
      const d = await make({ workers: 0 });
      assert.throws(() => d.events({ after: 'not an id' }), invalid('after'));
      assert.throws(() => d.events({ types: ['nope' as 'queued'] }), invalid('types'));
      assert.throws(() => d.events({ jobId: '' }), invalid('jobId'));
      await assert.rejects(make({ events: { maxCount: 0 } }), invalid('events.maxCount'));
    });
  });

  describe('watch', () => {
    it('a finished job: one snapshot with its final state, then the end', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.resolve('done')));
      await d.start();
      await d.submit({ id: 'f', name: 'T' });
      await d.wait('f');
      const items: WatchEvent[] = [];
      for await (const item of d.watch('f', { signal: bounded() })) items.push(item);
      assert.equal(items.length, 1);
      const [snapshot] = items;
      assert.equal(snapshot?.type, 'snapshot');
      if (snapshot?.type !== 'snapshot') return;
      assert.equal(snapshot.jobId, 'f');
      assert.equal(snapshot.job.status, 'completed');
      assert.equal(snapshot.job.result, 'done');
    });

    it('a running job: its snapshot, then its own events up to the final one, nothing missed between', async () => {
      const d = await make({ workers: 2 });
      const gate = deferred();
      d.register(
        new RecordingHandler('T', async (job, ctx) => {
          if (job.id !== 'w') return 'other';
          await gate.promise;
          await ctx.progress(50);
          return 'ok';
        }),
      );
      await d.start();
      const started = nextEvent(d, eventOf('started', 'w'));
      await d.submit({ id: 'w', name: 'T' });
      await started;
      const iterator = d.watch('w', { signal: bounded() });
      const first = await iterator.next();
      assert.ok(first.done !== true);
      const snapshot: WatchEvent = first.value;
      assert.equal(snapshot.type, 'snapshot');
      if (snapshot.type === 'snapshot') assert.equal(snapshot.job.status, 'running');
      await d.submit({ id: 'other', name: 'T' });
      gate.resolve();
      const rest: WatchEvent[] = [];
      for await (const item of iterator) rest.push(item);
      assert.deepEqual(
        rest.map((e) => `${e.type}:${e.jobId}`),
        ['progress:w', 'completed:w'],
      );
    });

    it('an unknown id rejects with JOB_NOT_FOUND', async () => {
      const d = await make({ workers: 0 });
      await assert.rejects(d.watch('nobody').next(), (error) =>
        isDispatchError(error, 'JOB_NOT_FOUND'),
      );
    });
  });
}
