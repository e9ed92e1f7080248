/**
 * The event log at the seam: `readEvents` pages through the retained events after an id (limit,
 * `last`, `end`, the `jobId` filter), `snapshot` reads a record with the log position it
 * reflects, `publish` appends with an id, and an id of the wrong form is INVALID_ARGUMENT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, compareEventIds, isDispatchError } from '../../../src/index.js';
import type { BackendHarness } from './harness.js';

export function eventLogContract(h: BackendHarness): void {
  describe('event log', () => {
    it('readEvents pages through the events after a position, oldest first', async () => {
      const backend = await h.make();
      const { position: start, job: none } = await backend.snapshot('nobody');
      assert.equal(none, undefined);
      for (const id of ['a', 'b', 'c', 'd', 'e']) await h.submit(backend, { id, name: 'T' });
      const first = await backend.readEvents(start, 2);
      assert.deepEqual(
        first.events.map((e) => `${e.type}:${e.jobId}`),
        ['queued:a', 'queued:b'],
      );
      assert.equal(first.end, false);
      assert.equal(first.last, first.events[1]!.id);
      assert.equal(first.gap, undefined);
      const rest = await backend.readEvents(first.last, 10);
      assert.deepEqual(
        rest.events.map((e) => e.jobId),
        ['c', 'd', 'e'],
      );
      assert.equal(rest.end, true);
      assert.ok(compareEventIds(first.last, rest.events[0]!.id) < 0);
      const filtered = await backend.readEvents(start, 10, 'd');
      assert.deepEqual(
        filtered.events.map((e) => e.jobId),
        ['d'],
      );
      assert.equal(filtered.last, rest.events[2]!.id, 'the page still moves past other jobs');
      const past = await backend.readEvents(rest.last!, 10);
      assert.deepEqual(past, { events: [], last: undefined, end: true });
    });

    it('snapshot gives the record and the position it reflects: what follows is what it lacks', async () => {
      const backend = await h.make();
      await h.submit(backend, { id: 'a', name: 'T' });
      const snap = await backend.snapshot('a');
      assert.equal(snap.job?.status, 'queued');
      await h.claim(backend);
      await backend.publish({
        type: 'stuck',
        jobId: 'a',
        name: 'T',
        priority: JobPriority.Normal,
        at: h.clock.now(),
        attempt: 1,
        error: { code: 'JOB_TIMEOUT', message: 'still running' },
      });
      const after = await backend.readEvents(snap.position, 10);
      assert.deepEqual(
        after.events.map((e) => e.type),
        ['started', 'stuck'],
      );
      assert.equal(typeof after.events[1]!.id, 'string');
    });

    it('an id of the wrong form is INVALID_ARGUMENT naming after', async () => {
      const backend = await h.make();
      await assert.rejects(
        backend.readEvents('yesterday', 10),
        (error) => isDispatchError(error, 'INVALID_ARGUMENT') && error.message.startsWith('after'),
      );
    });
  });
}
