import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DispatchError, defineJob, defineJobs } from '../src/index.js';

const isCode = (code: string, pattern: RegExp) => (error: unknown) =>
  error instanceof DispatchError && error.code === code && pattern.test(error.message);

describe('defineJob', () => {
  it('keeps the name and a frozen copy of the options', () => {
    const options = { retries: 3 };
    const def = defineJob<{ n: number }, number>('count', options);
    options.retries = 9;
    assert.equal(def.name, 'count');
    assert.deepEqual(def.options, { retries: 3 });
    assert.ok(Object.isFrozen(def) && Object.isFrozen(def.options));
  });

  it('refuses an empty or non-string name, naming the field and the value', () => {
    assert.throws(
      () => defineJob(''),
      isCode('INVALID_ARGUMENT', /defineJob name must be a non-empty string, got ""/),
    );
    assert.throws(
      () => defineJob(42 as unknown as string),
      isCode('INVALID_ARGUMENT', /defineJob name must be a non-empty string, got 42/),
    );
  });
});

describe('defineJobs', () => {
  it('gives back the definitions under their keys', () => {
    const a = defineJob<void, string>('a');
    const jobs = defineJobs({ first: a, second: defineJob<void, number>('b') });
    assert.equal(jobs.first, a);
    assert.equal(jobs.second.name, 'b');
    assert.deepEqual(Object.keys(jobs), ['first', 'second']);
  });

  it('refuses two definitions of one job name, naming both keys', () => {
    assert.throws(
      () => defineJobs({ plan: defineJob('planning'), planAgain: defineJob('planning') }),
      isCode('DUPLICATE_HANDLER', /"plan" and "planAgain" both define job type "planning"/),
    );
  });

  it('refuses a value that is not a definition', () => {
    assert.throws(
      () =>
        defineJobs({
          plan: { name: 'planning', options: {} } as unknown as ReturnType<typeof defineJob>,
        }),
      isCode('INVALID_ARGUMENT', /defineJobs plan must be a definition made by defineJob/),
    );
  });
});
