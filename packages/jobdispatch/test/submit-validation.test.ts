/** Bad submits are refused one by one, with the field named; a batch never fails by a throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from '../src/backends/redis/batch.js';
import { Dispatcher, isDispatchError } from '../src/index.js';

describe('submit validation', () => {
  it('rejects a description that is not a string with INVALID_ARGUMENT naming description', async () => {
    const d = new Dispatcher({ workers: 0 });
    await assert.rejects(
      d.submit({ name: 'T', description: 42 as unknown as string }),
      (e) =>
        isDispatchError(e, 'INVALID_ARGUMENT') && /^description must be a string/.test(e.message),
    );
    await d.stop({ timeoutMs: 0 });
  });

  it('rejects every caller of a batch whose send throws instead of rejecting', async () => {
    const batcher = new Batcher<number, number>(() => {
      throw new Error('send threw');
    }, 10);
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});

describe('messages of bad arguments', () => {
  it('quotes at most about 80 characters of a bad value', async () => {
    const d = new Dispatcher({ workers: 0 });
    await assert.rejects(d.submit({ name: 'T', id: 5 as unknown as string, dedupKey: '' }), (e) => {
      assert.ok(isDispatchError(e, 'INVALID_ARGUMENT'));
      return true;
    });
    const long = 'y'.repeat(100_000);
    await assert.rejects(
      d.submit({ name: 'T', description: { long } as unknown as string }),
      (e) => isDispatchError(e, 'INVALID_ARGUMENT') && e.message.length < 200,
    );
    await d.stop({ timeoutMs: 0 });
  });
});
