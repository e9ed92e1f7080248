/**
 * The per-type running counts of `stats()`, built from the event stream: they must not drift when
 * the stream says a job started twice (a job claimed again after a lost lease, whose earlier
 * attempt never ended in an event), nor go below zero on ends of jobs never seen starting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent } from '../src/events.js';
import { StatsCollector } from '../src/stats.js';

const noneQueued = { high: 0, normal: 0, low: 0 };
let seq = 0;
function event(type: JobEvent['type'], jobId: string, extra: Record<string, unknown> = {}) {
  return {
    type,
    id: String(++seq),
    jobId,
    name: 'T',
    priority: 1,
    at: Date.now(),
    ...extra,
  } as unknown as JobEvent;
}
const running = (stats: StatsCollector): number =>
  stats.snapshot(noneQueued).types['T']?.running ?? 0;

describe('stats() running counts', () => {
  it('counts a job started again after a lost lease, with no end in between, as one running job', () => {
    const stats = new StatsCollector();
    stats.observe(event('started', 'a', { attempt: 1, waitMs: 0 }));
    stats.observe(event('started', 'a', { attempt: 2, waitMs: 0 }));
    assert.equal(running(stats), 1);
    stats.observe(event('completed', 'a', { attempt: 2 }));
    assert.equal(running(stats), 0, 'nothing runs once the job ended');
    assert.equal(stats.snapshot(noneQueued).types['T']?.completed, 1);
  });

  it('never counts below zero for ends of jobs this dispatcher never saw start', () => {
    const stats = new StatsCollector();
    stats.observe(event('completed', 'x'));
    stats.observe(event('failed', 'y', { error: { code: 'JOB_FAILED', message: 'm' } }));
    stats.observe(event('queued', 'z'));
    stats.observe(event('removed', 'w'));
    assert.equal(running(stats), 0);
  });

  it('stops counting a job given back to the queue, retried, or removed while running', () => {
    const stats = new StatsCollector();
    for (const id of ['q', 'r', 'd']) stats.observe(event('started', id, { attempt: 1 }));
    assert.equal(running(stats), 3);
    stats.observe(event('queued', 'q'));
    stats.observe(event('retrying', 'r', { delayMs: 10, error: { code: 'E', message: 'm' } }));
    stats.observe(event('removed', 'd'));
    assert.equal(running(stats), 0);
  });
});
