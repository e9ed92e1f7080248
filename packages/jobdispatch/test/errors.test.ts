import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETENTION,
  MAX_STACK_BYTES,
  MemoryBackend,
  isDispatchError,
} from '../src/index.js';
import { cutUtf8, invalidState, queueFull, toJobError } from '../src/errors.js';
import { resolveRetention } from '../src/retention.js';

describe('failure detail', () => {
  it('keeps a thrown error class name and stack, the stack cut to MAX_STACK_BYTES between characters', () => {
    const error = new SyntaxError('bad token');
    error.stack = `SyntaxError: bad token\n${'    at ünïcode (file.ts:1:1)\n'.repeat(400)}`;
    const detail = toJobError(error);
    assert.equal(detail.code, 'JOB_FAILED');
    assert.equal(detail.name, 'SyntaxError');
    const bytes = Buffer.byteLength(detail.stack ?? '', 'utf8');
    assert.ok(bytes <= MAX_STACK_BYTES && bytes >= MAX_STACK_BYTES - 3, `${bytes} bytes`);
    assert.ok(error.stack.startsWith(detail.stack ?? 'x'), 'a prefix of the real stack');
  });

  it('never throws, whatever the handler threw', () => {
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    for (const thrown of [Object.create(null), hostile, undefined, 42, 'text', Symbol('s')]) {
      const detail = toJobError(thrown);
      assert.equal(detail.code, 'JOB_FAILED');
      assert.match(detail.message, /the handler threw a non-Error value/);
    }
    const unreadable = new Error('x');
    Object.defineProperty(unreadable, 'message', {
      get() {
        throw new Error('no');
      },
    });
    assert.equal(toJobError(unreadable).code, 'JOB_FAILED');
  });

  it('cuts UTF-8 text without splitting a character', () => {
    assert.equal(cutUtf8('abc', 10), 'abc');
    assert.equal(cutUtf8('ééé', 3), 'é');
    assert.equal(cutUtf8('ééé', 4), 'éé');
    assert.equal(cutUtf8('€€', 5), '€');
  });
});

describe('error factories', () => {
  it('name the operation, the job and its status', () => {
    const error = invalidState('retry', 'job-1', 'running', 'failed or cancelled');
    assert.ok(isDispatchError(error, 'INVALID_STATE'));
    assert.equal(error.jobId, 'job-1');
    assert.match(
      error.message,
      /cannot retry job "job-1": it is running \(only failed or cancelled/,
    );
    assert.match(queueFull(0, 5).message, /the LOW level is full \(5 jobs\)/);
  });
});

describe('retention options', () => {
  it('fills the defaults: completed 24 h and 10,000; failed and cancelled 7 days and 10,000', () => {
    assert.deepEqual(resolveRetention(undefined), DEFAULT_RETENTION);
    assert.deepEqual(resolveRetention({ failed: { maxCount: 5 } }).failed, {
      maxAgeMs: 7 * 24 * 60 * 60 * 1000,
      maxCount: 5,
    });
    assert.equal(DEFAULT_RETENTION.completed.maxAgeMs, 24 * 60 * 60 * 1000);
    assert.equal(DEFAULT_RETENTION.completed.maxCount, 10_000);
    for (const status of ['failed', 'cancelled'] as const) {
      assert.deepEqual(DEFAULT_RETENTION[status], {
        maxAgeMs: 7 * 24 * 60 * 60 * 1000,
        maxCount: 10_000,
      });
    }
  });

  it('refuses bad values naming the field, on the backend too', () => {
    for (const [retention, field] of [
      [{ completed: { maxAgeMs: 0 } }, 'retention.completed.maxAgeMs'],
      [{ failed: { maxCount: 1.5 } }, 'retention.failed.maxCount'],
      [{ cancelled: { maxCount: -1 } }, 'retention.cancelled.maxCount'],
      [{ done: {} }, 'retention.done'],
    ] as const) {
      assert.throws(
        () => new MemoryBackend({ retention: retention as never }),
        (e) => isDispatchError(e, 'INVALID_ARGUMENT') && e.message.startsWith(field),
      );
    }
    assert.throws(
      () => new MemoryBackend({ dedupTtlMs: -1 }),
      (e) => isDispatchError(e, 'INVALID_ARGUMENT') && e.message.startsWith('dedupTtlMs'),
    );
  });
});
