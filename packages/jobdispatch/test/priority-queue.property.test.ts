import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { type Job, PriorityJobQueue, createJob } from '../src/index.js';

type Op =
  | { kind: 'enqueue'; priority: number | undefined; name: string }
  | { kind: 'tryDequeue' }
  | { kind: 'tryDequeueExcept'; name: string }
  | { kind: 'remove'; pick: number }
  | { kind: 'promote'; pick: number; to: number }
  | { kind: 'close' };

const NAMES = ['A', 'B', 'C'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('enqueue' as const),
      priority: fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }),
      name: fc.constantFrom(...NAMES),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tryDequeue' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tryDequeueExcept' as const),
      name: fc.constantFrom(...NAMES),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('promote' as const),
      pick: fc.nat(),
      to: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const) }) },
);

/** The model: three plain arrays, highest level last, plus a closed flag. */
class Model {
  readonly levels: Job[][] = [[], [], []];
  closed = false;
  constructor(readonly capacity: number) {}

  enqueue(job: Job): boolean {
    const level = [0, 1, 2].includes(job.priority) ? job.priority : 1;
    const list = this.levels[level]!;
    if (this.closed || list.length >= this.capacity) return false;
    list.push(job);
    return true;
  }

  tryDequeue(canRun: (name: string) => boolean = () => true): Job | undefined {
    for (const level of [2, 1, 0]) {
      const list = this.levels[level]!;
      const index = list.findIndex((j) => canRun(j.name));
      if (index >= 0) return list.splice(index, 1)[0];
    }
    return undefined;
  }

  all(): Job[] {
    return this.levels.flat();
  }

  remove(id: string): Job | undefined {
    for (const list of this.levels) {
      const index = list.findIndex((j) => j.id === id);
      if (index >= 0) return list.splice(index, 1)[0];
    }
    return undefined;
  }

  promote(id: string, to: number): boolean {
    const from = this.levels.findIndex((list) => list.some((j) => j.id === id));
    if (from < 0 || from >= to || this.levels[to]!.length >= this.capacity) return false;
    this.levels[to]!.push(this.remove(id)!);
    return true;
  }

  stats() {
    return {
      high: this.levels[2]!.length,
      normal: this.levels[1]!.length,
      low: this.levels[0]!.length,
    };
  }
}

it('agrees with a model of three arrays on every result, size and stats', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(opArb, { maxLength: 120 }),
      (capacity, ops) => {
        const queue = new PriorityJobQueue({ capacityPerLevel: capacity });
        const model = new Model(capacity);
        let next = 0;
        for (const op of ops) {
          switch (op.kind) {
            case 'enqueue': {
              const job = createJob({
                id: String(next++),
                name: op.name,
                ...(op.priority !== undefined && { priority: op.priority }),
              });
              assert.equal(queue.enqueue(job), model.enqueue(job));
              break;
            }
            case 'tryDequeue':
              assert.equal(queue.tryDequeue()?.id, model.tryDequeue()?.id);
              break;
            case 'tryDequeueExcept': {
              const canRun = (name: string) => name !== op.name;
              assert.equal(queue.tryDequeue(canRun)?.id, model.tryDequeue(canRun)?.id);
              break;
            }
            case 'remove': {
              const all = model.all();
              const id = all.length === 0 ? 'none' : all[op.pick % all.length]!.id;
              assert.equal(queue.remove(id)?.id, model.remove(id)?.id);
              break;
            }
            case 'promote': {
              const all = model.all();
              const id = all.length === 0 ? 'none' : all[op.pick % all.length]!.id;
              assert.equal(queue.promote(id, op.to as 0 | 1 | 2), model.promote(id, op.to));
              break;
            }
            case 'close':
              queue.close();
              model.closed = true;
              break;
          }
          assert.equal(queue.size, model.all().length);
          assert.deepEqual(queue.stats(), model.stats());
        }
        assert.deepEqual(
          queue.drain().map((j) => j.id),
          [2, 1, 0].flatMap((l) => model.levels[l]!.map((j) => j.id)),
        );
      },
    ),
    { numRuns: 300 },
  );
});
