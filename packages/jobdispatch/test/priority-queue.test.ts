import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Job, JobPriority, PriorityJobQueue, createJob } from '../src/index.js';

const job = (id: string, priority?: number, name = 'Planning'): Job =>
  createJob({ id, name, ...(priority !== undefined && { priority }) });

describe('PriorityJobQueue: strict order, capacity and closing', () => {
  it('dequeues what was enqueued', async () => {
    const queue = new PriorityJobQueue();
    assert.equal(queue.enqueue(job('a', JobPriority.Normal)), true);
    assert.equal(queue.size, 1);
    assert.equal((await queue.dequeue())?.id, 'a');
    assert.equal(queue.size, 0);
  });

  it('dequeues HIGH before NORMAL before LOW', async () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('low', JobPriority.Low));
    queue.enqueue(job('normal', JobPriority.Normal));
    queue.enqueue(job('high', JobPriority.High));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await queue.dequeue())?.id);
    assert.deepEqual(order, ['high', 'normal', 'low']);
  });

  it('is FIFO within a level', () => {
    const queue = new PriorityJobQueue();
    for (const id of ['1', '2', '3', '4']) queue.enqueue(job(id, JobPriority.Low));
    assert.deepEqual(
      queue.drain().map((j) => j.id),
      ['1', '2', '3', '4'],
    );
  });

  it('reports its size and per-level stats', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('h1', JobPriority.High));
    queue.enqueue(job('n1', JobPriority.Normal));
    queue.enqueue(job('n2', JobPriority.Normal));
    queue.enqueue(job('l1', JobPriority.Low));
    assert.equal(queue.size, 4);
    assert.deepEqual(queue.stats(), { high: 1, normal: 2, low: 1 });
    queue.tryDequeue();
    assert.deepEqual(queue.stats(), { high: 0, normal: 2, low: 1 });
  });

  it('tryDequeue on an empty queue returns undefined, and dequeue on a closed empty queue resolves null', async () => {
    const queue = new PriorityJobQueue();
    assert.equal(queue.tryDequeue(), undefined);
    const waiting = queue.dequeue();
    queue.close();
    assert.equal(await waiting, null);
    assert.equal(await queue.dequeue(), null);
  });

  it('refuses a job after close, at once and without throwing, but still hands out what it holds', async () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('before', JobPriority.High));
    queue.close();
    assert.equal(queue.closed, true);
    assert.equal(queue.enqueue(job('after', JobPriority.High)), false);
    assert.equal((await queue.dequeue())?.id, 'before');
    assert.equal(await queue.dequeue(), null);
  });

  it('loses and duplicates nothing under concurrent producers and consumers', async () => {
    const queue = new PriorityJobQueue({ capacityPerLevel: 10_000 });
    const seen: string[] = [];
    const consumers = Array.from({ length: 5 }, async () => {
      for (let j = await queue.dequeue(); j !== null; j = await queue.dequeue()) {
        seen.push(j.id);
        if (seen.length % 7 === 0) await Promise.resolve();
      }
    });
    const producers = Array.from({ length: 4 }, async (_, p) => {
      for (let i = 0; i < 500; i++) {
        assert.equal(queue.enqueue(job(`${p}-${i}`, i % 3)), true);
        if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    await Promise.all(producers);
    queue.close();
    await Promise.all(consumers);
    assert.equal(seen.length, 2000);
    assert.equal(new Set(seen).size, 2000);
  });

  it('serves the mixed /planning scenario: the HIGH job first, then the four LOW jobs in order', () => {
    const queue = new PriorityJobQueue();
    for (const level of [0, 1, 2, 3, 4]) {
      queue.enqueue(job(`price-${level}`, level === 2 ? JobPriority.High : JobPriority.Low));
    }
    assert.deepEqual(queue.stats(), { high: 1, normal: 0, low: 4 });
    assert.deepEqual(
      queue.drain().map((j) => j.id),
      ['price-2', 'price-0', 'price-1', 'price-3', 'price-4'],
    );
  });

  it('refuses a job when its level is full, without blocking, while other levels still accept', () => {
    const queue = new PriorityJobQueue({ capacityPerLevel: 2 });
    assert.equal(queue.enqueue(job('l1', JobPriority.Low)), true);
    assert.equal(queue.enqueue(job('l2', JobPriority.Low)), true);
    assert.equal(queue.enqueue(job('l3', JobPriority.Low)), false);
    assert.equal(queue.enqueue(job('h1', JobPriority.High)), true);
    assert.deepEqual(queue.stats(), { high: 1, normal: 0, low: 2 });
    queue.tryDequeue();
    queue.tryDequeue();
    assert.equal(queue.enqueue(job('l3', JobPriority.Low)), true);
  });

  it('treats a missing or invalid priority as NORMAL', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('missing'));
    queue.enqueue({ ...job('invalid'), priority: 7 as JobPriority });
    queue.enqueue({ ...job('fraction'), priority: 1.5 as JobPriority });
    assert.deepEqual(queue.stats(), { high: 0, normal: 3, low: 0 });
    assert.equal(job('missing').priority, JobPriority.Normal);
  });
});

describe('PriorityJobQueue: removal, promotion, aging and type filters', () => {
  it('hands a waiting dequeue the next job directly', async () => {
    const queue = new PriorityJobQueue();
    const waiting = queue.dequeue();
    queue.enqueue(job('x', JobPriority.Low));
    assert.equal((await waiting)?.id, 'x');
    assert.equal(queue.size, 0);
  });

  it('skips the job types a consumer may not run, keeping priority order among the rest', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('slow-high', JobPriority.High, 'Slow'));
    queue.enqueue(job('fast-low', JobPriority.Low, 'Fast'));
    queue.enqueue(job('fast-normal', JobPriority.Normal, 'Fast'));
    const notSlow = (type: string) => type !== 'Slow';
    assert.equal(queue.tryDequeue(notSlow)?.id, 'fast-normal');
    assert.equal(queue.tryDequeue(notSlow)?.id, 'fast-low');
    assert.equal(queue.tryDequeue(notSlow), undefined);
    assert.equal(queue.tryDequeue()?.id, 'slow-high');
  });

  it('keeps FIFO across job types within a level', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('a1', JobPriority.Low, 'A'));
    queue.enqueue(job('b1', JobPriority.Low, 'B'));
    queue.enqueue(job('a2', JobPriority.Low, 'A'));
    assert.deepEqual(
      queue.drain().map((j) => j.id),
      ['a1', 'b1', 'a2'],
    );
  });

  it('removes a queued job by id', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('a', JobPriority.Low));
    queue.enqueue(job('b', JobPriority.Low));
    assert.equal(queue.remove('a')?.id, 'a');
    assert.equal(queue.remove('a'), undefined);
    assert.deepEqual(
      queue.drain().map((j) => j.id),
      ['b'],
    );
  });

  it('promotes a queued job to the back of a higher level, ahead of every lower job', () => {
    const queue = new PriorityJobQueue();
    queue.enqueue(job('l1', JobPriority.Low));
    queue.enqueue(job('h1', JobPriority.High));
    queue.enqueue(job('l2', JobPriority.Low));
    assert.equal(queue.promote('l2', JobPriority.High), true);
    assert.equal(queue.levelOf('l2'), JobPriority.High);
    assert.equal(queue.promote('l2', JobPriority.Normal), false, 'never demotes');
    assert.deepEqual(
      queue.drain().map((j) => j.id),
      ['h1', 'l2', 'l1'],
    );
  });

  it('with aging off, a LOW job waits behind any amount of HIGH work however old it is', () => {
    let now = 0;
    const queue = new PriorityJobQueue({ now: () => now });
    queue.enqueue(job('old-low', JobPriority.Low));
    now = 1_000_000;
    queue.enqueue(job('new-high', JobPriority.High));
    assert.equal(queue.tryDequeue()?.id, 'new-high');
  });

  it('with aging on, a job that waited past maxWaitMs competes one level up, by age', () => {
    let now = 0;
    const queue = new PriorityJobQueue({ now: () => now, maxWaitMs: { low: 100 } });
    queue.enqueue(job('old-low', JobPriority.Low));
    queue.enqueue(job('normal', JobPriority.Normal));
    now = 50;
    queue.enqueue(job('high', JobPriority.High));
    assert.equal(queue.tryDequeue()?.id, 'high', 'not yet aged');
    now = 100;
    assert.equal(
      queue.tryDequeue()?.id,
      'old-low',
      'aged: as NORMAL, and older than the NORMAL job',
    );
    assert.equal(queue.tryDequeue()?.id, 'normal');
  });

  it('rejects a bad capacity with a message naming the field, rule and value', () => {
    assert.throws(
      () => new PriorityJobQueue({ capacityPerLevel: 0 }),
      /capacityPerLevel must be an integer >= 1, got 0/,
    );
  });
});
