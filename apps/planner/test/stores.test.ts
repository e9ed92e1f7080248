import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPlanningEventLog, type PlanningEvent } from '../src/analytics/event-log.js';
import { MemoryAnalyticsReportStore } from '../src/analytics/report-store.js';
import { computeReport } from '../src/analytics/report.js';
import type { SolutionSet } from '../src/planning/solution.js';
import { MemorySolutionStore } from '../src/planning/solution-store.js';
import { ENTRY_OVERHEAD_BYTES } from '../src/stores/json-store.js';

function solutionSet(key: string): SolutionSet {
  return {
    key,
    location: {
      label: 'X',
      city: 'X',
      country: 'US',
      adminCode: 'CA',
      lat: 1,
      lon: 2,
      precise: false,
    },
    weekday: 1,
    priceLevel: 2,
    radiusMeters: 20_000,
    nearby: false,
    nearbyCities: [],
    template: ['Visit 10:00-12:00'],
    dataSource: { kind: 'file', id: 'f', name: 'f.json' },
    sampleData: false,
    plans: [],
    candidatesPerSlot: [0],
    combinations: 0,
    stoppedEarly: false,
    computeMs: 1,
    computedAt: 0,
  };
}

describe('memory solution store', () => {
  it('returns a value until its expiry, then nothing', async () => {
    let now = 1000;
    const store = new MemorySolutionStore({ now: () => now });
    await store.set('k', solutionSet('k'), 500);
    now = 1499;
    assert.equal((await store.get('k'))?.key, 'k');
    now = 1500;
    assert.equal(await store.get('k'), undefined);
    assert.equal(await store.get('never-set'), undefined);
  });

  it('hands out copies: changing a returned value changes nothing stored', async () => {
    const store = new MemorySolutionStore();
    const value = solutionSet('k');
    await store.set('k', value, 60_000);
    const got = (await store.get('k')) as { plans: unknown[] } | undefined;
    got?.plans.push('junk');
    assert.deepEqual(await store.get('k'), value);
  });

  it('keeps at most maxBytes of JSON, dropping the oldest written', async () => {
    const entry = JSON.stringify(solutionSet('a')).length + 1 + ENTRY_OVERHEAD_BYTES;
    const store = new MemorySolutionStore({ maxBytes: 2 * entry + 10 });
    for (const key of ['a', 'b', 'c']) await store.set(key, solutionSet(key), 60_000);
    assert.equal(await store.get('a'), undefined);
    assert.equal((await store.get('b'))?.key, 'b');
    assert.equal((await store.get('c'))?.key, 'c');
    assert.equal(store.size, 2);
    assert.ok(store.bytes <= 2 * entry + 10, `${store.bytes} bytes`);
  });

  it('does not keep a value larger than the whole store', async () => {
    const store = new MemorySolutionStore({ maxBytes: 100 });
    await store.set('k', solutionSet('k'), 60_000);
    assert.equal(await store.get('k'), undefined);
    assert.equal(store.bytes, 0);
  });

  it('rejects a ttl that is not a positive number', async () => {
    await assert.rejects(
      new MemorySolutionStore().set('k', solutionSet('k'), 0),
      /ttlMs must be a number > 0/,
    );
  });
});

describe('memory planning event log', () => {
  const event = (at: number): PlanningEvent => ({
    city: 'Paris, France',
    country: 'FR',
    priceLevel: 1,
    at,
    cacheHit: false,
  });

  it('lists the events since a time, oldest first', async () => {
    const log = new MemoryPlanningEventLog();
    for (const at of [30, 10, 20, 40]) await log.record(event(at));
    assert.deepEqual(
      (await log.list(20)).map((e) => e.at),
      [20, 30, 40],
    );
  });

  it('keeps only the newest maxEvents', async () => {
    const log = new MemoryPlanningEventLog(3);
    for (let at = 1; at <= 5; at++) await log.record(event(at));
    assert.deepEqual(
      (await log.list(0)).map((e) => e.at),
      [3, 4, 5],
    );
  });
});

describe('memory analytics report store', () => {
  it('returns the latest saved report, as a copy', async () => {
    const store = new MemoryAnalyticsReportStore();
    assert.equal(await store.latest(), undefined);
    const report = { ...computeReport([], { now: 0 }), computeMs: 1 };
    await store.save(report);
    assert.deepEqual(await store.latest(), report);
    assert.notEqual(await store.latest(), report);
  });
});
