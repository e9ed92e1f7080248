/**
 * The memory backend's synchronous submit, claim and finish (`Backend.immediate`): the same
 * operations as the async methods, and a wrapper that intercepts those is still called through
 * them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Backend,
  type Claim,
  Dispatcher,
  type Job,
  MemoryBackend,
  type Outcome,
  type SubmitResult,
  createJob,
  isDispatchError,
} from '../src/index.js';
import { RecordingHandler } from './helpers.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isDispatchError(error) ? error.code : 'not a DispatchError';
  }
  return undefined;
}

describe('MemoryBackend.immediate', () => {
  it('submits, claims and finishes as the async methods do, and throws what they reject with', async () => {
    const backend = new MemoryBackend({ capacityPerLevel: 1 });
    const immediate = backend.immediate;
    assert.equal(immediate.backend, backend);
    const first = immediate.submit(createJob({ id: 'a', name: 'T', priority: 0 }));
    assert.equal(first.kind, 'queued');
    assert.equal(first.job.status, 'queued');
    assert.equal(
      codeOf(() => immediate.submit(createJob({ id: 'a', name: 'T' }))),
      'INVALID_ARGUMENT',
    );
    await assert.rejects(backend.submit(createJob({ id: 'a', name: 'T' })), {
      code: 'INVALID_ARGUMENT',
    });
    assert.equal(
      codeOf(() => immediate.submit(createJob({ id: 'b', name: 'T', priority: 0 }))),
      'QUEUE_FULL',
    );
    await assert.rejects(backend.submit(createJob({ id: 'b', name: 'T', priority: 0 })), {
      code: 'QUEUE_FULL',
    });

    const claims = immediate.claim({ max: 5, remaining: new Map() });
    assert.deepEqual(
      claims.map((claim) => [claim.job.id, claim.job.status, claim.job.attempts]),
      [['a', 'running', 1]],
    );
    assert.deepEqual(immediate.claim({ max: 5, remaining: new Map() }), []);
    const claim = claims[0] as Claim;
    assert.equal(immediate.finish(claim, { status: 'completed', result: 42 }), true);
    assert.equal(immediate.finish(claim, { status: 'completed', result: 43 }), false, 'token dead');
    assert.equal(await backend.finish(claim, { status: 'completed', result: 44 }), false);
    const job = await backend.get('a');
    assert.equal(job?.status, 'completed');
    assert.equal(job?.result, 42);
    const events = await backend.readEvents('0', 10);
    assert.deepEqual(
      events.events.map((event) => event.type),
      ['queued', 'started', 'completed'],
    );
  });

  it('a dispatcher given a wrapper that intercepts submit, claim and finish calls the wrapper', async () => {
    const inner = new MemoryBackend();
    const calls: string[] = [];
    const wrapper = Object.create(inner) as Backend;
    wrapper.submit = (job: Job): Promise<SubmitResult> => {
      calls.push('submit');
      return inner.submit(job);
    };
    wrapper.claim = (request) => {
      calls.push('claim');
      return inner.claim(request);
    };
    wrapper.finish = (claim: Claim, outcome: Outcome): Promise<boolean> => {
      calls.push('finish');
      return inner.finish(claim, outcome);
    };
    const dispatcher = new Dispatcher({ workers: 1, backend: wrapper });
    dispatcher.register(new RecordingHandler('T', () => Promise.resolve('done')));
    try {
      await dispatcher.start();
      const job = await dispatcher.submit({ name: 'T' });
      assert.equal(await dispatcher.wait(job.id), 'done');
      assert.ok(calls.includes('submit'), 'submit went through the wrapper');
      assert.ok(calls.includes('claim'), 'claim went through the wrapper');
      assert.ok(calls.includes('finish'), 'finish went through the wrapper');
    } finally {
      await dispatcher.stop({ timeoutMs: 500 });
    }
  });
});
