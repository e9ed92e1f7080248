/**
 * Listing and counts at the seam: each status in its order, statuses in `LIST_STATUS_ORDER`,
 * a `name` filter, cursors that neither repeat nor skip a job staying in its state, a cursor only
 * when more jobs follow, bad cursors refused, and exact counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, type Job, JobPriority } from '../../../src/index.js';
import { type BackendHarness, listAll, listRequest } from './harness.js';

export function listCountsContract(h: BackendHarness): void {
  const ids = (jobs: readonly Job[]): string[] => jobs.map((job) => job.id);

  /** A queue with jobs in every status, on distinct timestamps. */
  async function populate(backend: Backend) {
    const tick = (): void => h.clock.advance(1);
    const running: Job[] = [];
    for (let i = 0; i < 3; i++) {
      tick();
      running.push(await h.submit(backend, { name: i === 1 ? 'B' : 'A', priority: 2 }));
      tick();
      await h.claim(backend, 1);
    }
    const completed: Job[] = [];
    for (let i = 0; i < 3; i++) {
      tick();
      const job = await h.submit(backend, { name: i === 0 ? 'B' : 'A', priority: 2 });
      const [claim] = await h.claim(backend, 1);
      tick();
      await backend.finish(claim!, { status: 'completed', result: i });
      completed.push(job);
    }
    tick();
    const failedJob = await h.submit(backend, { name: 'A', priority: 2 });
    const [claim] = await h.claim(backend, 1);
    await backend.finish(claim!, { status: 'failed', error: { code: 'JOB_FAILED', message: 'x' } });
    tick();
    const cancelledJob = await h.submit(backend, { name: 'B' });
    await backend.cancel(cancelledJob.id);
    const queued: Job[] = [];
    for (const [name, priority] of [
      ['A', JobPriority.Low],
      ['B', JobPriority.High],
      ['A', JobPriority.Normal],
      ['B', JobPriority.Normal],
      ['A', JobPriority.High],
    ] as const) {
      tick();
      queued.push(await h.submit(backend, { name, priority }));
    }
    const now = h.clock.now();
    const scheduled = [
      await h.submit(backend, { name: 'A', runAt: now + 3000 }),
      await h.submit(backend, { name: 'B', runAt: now + 1000 }),
      await h.submit(backend, { name: 'A', runAt: now + 2000 }),
    ];
    return {
      running,
      completed,
      failed: [failedJob],
      cancelled: [cancelledJob],
      queued,
      scheduled,
    };
  }

  describe('list and counts', () => {
    it('lists each status in its order: queued as they would run, scheduled by due time, running by start, finished newest first', async () => {
      const backend = await h.make();
      const jobs = await populate(backend);
      const q = jobs.queued;
      const s = jobs.scheduled;
      const expected: Record<string, string[]> = {
        queued: ids([q[1]!, q[4]!, q[2]!, q[3]!, q[0]!]),
        scheduled: ids([s[1]!, s[2]!, s[0]!]),
        running: ids(jobs.running),
        completed: ids([...jobs.completed].reverse()),
        failed: ids(jobs.failed),
        cancelled: ids(jobs.cancelled),
      };
      for (const [status, order] of Object.entries(expected)) {
        const page = await backend.list(
          listRequest({ statuses: [status as 'queued'], limit: 1000 }),
        );
        assert.deepEqual(ids(page.jobs), order, status);
        assert.equal(page.cursor, undefined, `${status}: no cursor on the last page`);
        for (const job of page.jobs) assert.equal(job.status, status);
      }
      const everything = await backend.list(listRequest({ limit: 1000 }));
      assert.deepEqual(ids(everything.jobs), [
        ...expected.queued!,
        ...expected.scheduled!,
        ...expected.running!,
        ...expected.completed!,
        ...expected.failed!,
        ...expected.cancelled!,
      ]);
      const ofB = await backend.list(listRequest({ statuses: ['queued', 'running'], name: 'B' }));
      assert.deepEqual(ids(ofB.jobs), ids([q[1]!, q[3]!, jobs.running[1]!]));
    });

    it('pages with cursors through every status without repeating or skipping, a cursor only while more follow', async () => {
      const backend = await h.make();
      await populate(backend);
      const all = await backend.list(listRequest({ limit: 1000 }));
      for (const limit of [1, 2, 3, 7]) {
        assert.deepEqual(ids(await listAll(backend, {}, limit)), ids(all.jobs), `limit ${limit}`);
      }
      const exact = await backend.list(listRequest({ statuses: ['queued'], limit: 5 }));
      assert.equal(exact.jobs.length, 5);
      assert.equal(exact.cursor, undefined, 'nothing after a page that took the last job');
      const partial = await backend.list(listRequest({ statuses: ['queued'], limit: 4 }));
      assert.equal(typeof partial.cursor, 'string');
    });

    it('a cursor keeps its place when the job it stopped at leaves, and jobs staying in the state are listed once', async () => {
      const backend = await h.make();
      const queued: Job[] = [];
      for (let i = 0; i < 6; i++) {
        h.clock.advance(1);
        queued.push(await h.submit(backend, { name: 'T' }));
      }
      const first = await backend.list(listRequest({ statuses: ['queued'], limit: 2 }));
      assert.deepEqual(ids(first.jobs), ids(queued.slice(0, 2)));
      await backend.cancel(queued[1]!.id); // the job the cursor stopped at
      await backend.cancel(queued[0]!.id);
      const rest = await backend.list(
        listRequest({ statuses: ['queued'], limit: 10, cursor: first.cursor }),
      );
      assert.deepEqual(ids(rest.jobs), ids(queued.slice(2)));
    });

    it('refuses a cursor it cannot read, or one for a status not asked for', async () => {
      const backend = await h.make();
      for (let i = 0; i < 3; i++) await h.submit(backend, { name: 'T' });
      const page = await backend.list(listRequest({ statuses: ['queued'], limit: 1 }));
      assert.ok(page.cursor);
      await assert.rejects(
        backend.list(listRequest({ statuses: ['completed'], cursor: page.cursor })),
        (error: Error & { code?: string }) =>
          error.code === 'INVALID_ARGUMENT' && /cursor/.test(error.message),
      );
      await assert.rejects(
        backend.list(listRequest({ cursor: 'not a cursor at all' })),
        (error: Error & { code?: string }) =>
          error.code === 'INVALID_ARGUMENT' && /cursor/.test(error.message),
      );
    });

    it('counts every record kept, per status, for the queue and for one type', async () => {
      const backend = await h.make();
      await populate(backend);
      assert.deepEqual(await backend.counts(), {
        scheduled: 3,
        queued: 5,
        running: 3,
        completed: 3,
        failed: 1,
        cancelled: 1,
      });
      assert.deepEqual(await backend.counts('B'), {
        scheduled: 1,
        queued: 2,
        running: 1,
        completed: 1,
        failed: 0,
        cancelled: 1,
      });
      assert.deepEqual(await backend.counts('Nobody'), {
        scheduled: 0,
        queued: 0,
        running: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
    });
  });
}
