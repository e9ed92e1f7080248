import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type Backend,
  type Claim,
  Dispatcher,
  MemoryBackend,
  type Outcome,
  type RenewResult,
} from '../src/index.js';
import { RecordingHandler, aborted } from './helpers.js';

/** A memory backend whose lease on the job 'first' is lost at its first renewal; records what is written. */
function losingBackend(): { backend: Backend; finished: string[] } {
  const inner = new MemoryBackend();
  const finished: string[] = [];
  const backend = Object.create(inner) as Backend & { leaseMs: number };
  Object.defineProperty(backend, 'leaseMs', { value: 30 });
  backend.renew = (claim: Claim): Promise<RenewResult> =>
    Promise.resolve(claim.job.params === 'first' ? 'lost' : 'held');
  backend.finish = (claim: Claim, outcome: Outcome): Promise<boolean> => {
    finished.push(`${claim.job.id}:${outcome.status}`);
    return inner.finish(claim, outcome);
  };
  return { backend, finished };
}

it('a run whose lease is lost aborts with LEASE_LOST, writes nothing, and frees its slot', async () => {
  const { backend, finished } = losingBackend();
  const dispatcher = new Dispatcher({ workers: 1, backend });
  let reason: unknown;
  dispatcher.register(
    new RecordingHandler('T', async (job, ctx) => {
      if (job.params !== 'first') return 'second ran';
      await aborted(ctx.signal);
      reason = ctx.signal.reason;
      return 'too late';
    }),
  );
  await dispatcher.start();
  const first = await dispatcher.submit({ name: 'T', params: 'first' });
  const second = await dispatcher.submit({ name: 'T', params: 'second' });
  try {
    // The second job can only run once the lost first one gave its only slot back.
    assert.equal(await dispatcher.wait(second.id), 'second ran');
    assert.equal((reason as { code?: string }).code, 'LEASE_LOST');
    assert.deepEqual(finished, [`${second.id}:completed`], 'nothing written for the lost run');
    assert.equal(
      (await dispatcher.get(first.id))?.status,
      'running',
      'its end belongs to the new holder',
    );
  } finally {
    await dispatcher.stop({ timeoutMs: 500 });
  }
});
