import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Place, PriceLevel, WeeklyHours } from '../src/places/place.js';
import { placeScore, planScore } from '../src/planning/score.js';
import { DAY_TEMPLATE, selectCandidates } from '../src/planning/slots.js';
import { solve, type SolveResult } from '../src/planning/solver.js';
import { allWeek, makePlace } from './helpers.js';

interface Expected {
  readonly score: number;
  readonly ids: readonly string[];
}

/**
 * The reference: every combination in enumeration order (slot 0 slowest), plans that repeat a
 * place dropped, ranked by score then order, then the dedupe rules applied greedily.
 */
function bruteForce(
  slots: readonly (readonly Place[])[],
  options: { topK: number; maxPlaceRepeats: number; norm: number; limit?: number },
): Expected[] {
  const all: { score: number; seq: number; places: Place[] }[] = [];
  let seq = 0;
  const visit = (depth: number, chosen: Place[]): void => {
    if (depth === slots.length) {
      const index = seq++;
      if (options.limit !== undefined && index >= options.limit) return;
      if (new Set(chosen.map((p) => p.id)).size === chosen.length) {
        all.push({ score: planScore(chosen, options.norm), seq: index, places: [...chosen] });
      }
      return;
    }
    for (const place of slots[depth] ?? []) visit(depth + 1, [...chosen, place]);
  };
  if (slots.length > 0) visit(0, []);
  all.sort((a, b) => b.score - a.score || a.seq - b.seq);
  const uses = new Map<string, number>();
  const sets = new Set<string>();
  const kept: Expected[] = [];
  for (const plan of all) {
    if (kept.length === options.topK) break;
    const ids = plan.places.map((p) => p.id);
    if (ids.some((id) => (uses.get(id) ?? 0) >= options.maxPlaceRepeats)) continue;
    const setKey = [...ids].sort().join('|');
    if (sets.has(setKey)) continue;
    sets.add(setKey);
    ids.forEach((id) => uses.set(id, (uses.get(id) ?? 0) + 1));
    kept.push({ score: plan.score, ids });
  }
  return kept;
}

function simplify(result: SolveResult): Expected[] {
  return result.plans.map((plan) => ({ score: plan.score, ids: plan.places.map((p) => p.id) }));
}

const placeArbitrary = (id: string): fc.Arbitrary<Place> =>
  fc
    .record({
      lat: fc.double({ min: 37.2, max: 37.4, noNaN: true }),
      lon: fc.double({ min: -122, max: -121.8, noNaN: true }),
      rating: fc.constantFrom(0, 2.5, 3, 4, 4.5, 5),
      ratingsCount: fc.integer({ min: 0, max: 5000 }),
      priceLevel: fc.constantFrom<PriceLevel>(0, 1, 2, 3, 4),
    })
    .map((fields) => makePlace({ id, ...fields }));

/** Slots drawn from one shared pool, so the same place often appears in several slots. */
const slotsArbitrary = fc
  .array(placeArbitrary('x'), { minLength: 1, maxLength: 7 })
  .map((pool) => pool.map((place, i) => ({ ...place, id: `p${i}` })))
  .chain((pool) =>
    fc.array(
      fc
        .array(fc.constantFrom(...pool), { maxLength: 5 })
        .map((slot) => [...new Map(slot.map((p) => [p.id, p])).values()]),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  );

describe('solver', () => {
  it('keeps exactly the top K of the exhaustive ranking, under the dedupe rules', async () => {
    await fc.assert(
      fc.asyncProperty(
        slotsArbitrary,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        async (slots, topK, maxPlaceRepeats, pageSize) => {
          const result = await solve(slots, {
            distanceNormMeters: 5000,
            topK,
            maxPlaceRepeats,
            pageSize,
          });
          assert.deepEqual(
            simplify(result),
            bruteForce(slots, { topK, maxPlaceRepeats, norm: 5000 }),
          );
          assert.equal(result.stoppedEarly, false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals brute force on a full four-slot template with ties in score', async () => {
    const pool = Array.from({ length: 9 }, (_, i) =>
      makePlace({
        id: `t${i}`,
        rating: 4,
        ratingsCount: 99,
        priceLevel: 0,
        lat: 37.3 + (i % 3) * 0.01,
        lon: -121.9,
      }),
    );
    const slots = [pool.slice(0, 6), pool.slice(3, 9), pool.slice(0, 6), pool.slice(2, 8)];
    for (const topK of [1, 5, 20, 200]) {
      const result = await solve(slots, {
        distanceNormMeters: 20_000,
        topK,
        maxPlaceRepeats: 4,
        pageSize: 7,
      });
      assert.deepEqual(
        simplify(result),
        bruteForce(slots, { topK, maxPlaceRepeats: 4, norm: 20_000 }),
      );
    }
  });

  it('never puts one place twice in a plan', async () => {
    const shared = makePlace({ id: 'star', rating: 5, ratingsCount: 100_000, priceLevel: 0 });
    const others = Array.from({ length: 4 }, (_, i) =>
      makePlace({ id: `o${i}`, rating: 3, ratingsCount: 10 }),
    );
    const result = await solve(
      [
        [shared, ...others],
        [shared, ...others],
        [shared, ...others],
      ],
      {
        distanceNormMeters: 20_000,
        topK: 50,
        maxPlaceRepeats: 50,
      },
    );
    assert.ok(result.plans.length > 0);
    for (const plan of result.plans) {
      const ids = plan.places.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, ids.join(','));
    }
  });

  it('limits how many kept plans one place appears in', async () => {
    const slot = Array.from({ length: 6 }, (_, i) =>
      makePlace({ id: `v${i}`, ratingsCount: 10 ** (i % 4) }),
    );
    const result = await solve([slot, slot, slot], {
      distanceNormMeters: 20_000,
      topK: 100,
      maxPlaceRepeats: 2,
    });
    const uses = new Map<string, number>();
    for (const plan of result.plans)
      for (const p of plan.places) uses.set(p.id, (uses.get(p.id) ?? 0) + 1);
    assert.ok(
      [...uses.values()].every((count) => count <= 2),
      JSON.stringify([...uses]),
    );
  });

  it('stops at the time limit and returns the best of what it had explored', async () => {
    const slots = Array.from({ length: 4 }, (_, s) =>
      Array.from({ length: 8 }, (_, i) =>
        makePlace({
          id: `s${s}-${i}`,
          ratingsCount: 1 + ((i * 7 + s * 3) % 11),
          lat: 37.3 + i * 0.002,
        }),
      ),
    );
    let ticks = 0;
    const result = await solve(slots, {
      distanceNormMeters: 20_000,
      topK: 5,
      timeLimitMs: 10,
      now: () => ticks++, // one millisecond per clock read: stops after ten reads
    });
    assert.equal(result.stoppedEarly, true);
    assert.ok(
      result.explored > 0 && result.explored < result.combinations,
      `explored ${result.explored}`,
    );
    assert.ok(result.plans.length > 0);
    assert.deepEqual(
      simplify(result),
      bruteForce(slots, { topK: 5, maxPlaceRepeats: 10, norm: 20_000, limit: result.explored }),
    );
  });

  it('throws when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    const slot = [makePlace({ id: 'a' }), makePlace({ id: 'b' })];
    await assert.rejects(
      solve([slot, slot], { distanceNormMeters: 1000, signal: controller.signal }),
      /cancelled by the user/,
    );
  });

  it('reports progress that only grows and ends at 100', async () => {
    const slot = Array.from({ length: 30 }, (_, i) =>
      makePlace({ id: `p${i}`, ratingsCount: i + 1 }),
    );
    const percents: number[] = [];
    await solve([slot, slot, slot], {
      distanceNormMeters: 20_000,
      onProgress: (percent) => {
        percents.push(percent);
      },
    });
    assert.ok(percents.length > 2);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
    );
    assert.equal(percents[percents.length - 1], 100);
  });

  it('returns no plans when a slot has no candidates', async () => {
    const result = await solve([[makePlace({ id: 'a' })], []], { distanceNormMeters: 1000 });
    assert.deepEqual(result.plans, []);
    assert.equal(result.combinations, 0);
  });
});

describe('candidates per slot', () => {
  const closedOnSaturday: WeeklyHours = [[{ open: 0, close: 1440 }], [], [], [], [], [], []].map(
    (d, i) => (i === 6 ? [] : [{ open: 0, close: 1440 }]),
  ) as unknown as WeeklyHours;

  it('never chooses a place closed on the weekday or during the slot', async () => {
    const saturday = 6;
    const star = { rating: 5, ratingsCount: 1_000_000, priceLevel: 0 as const };
    const places = [
      makePlace({ id: 'closed-saturday', ...star, hours: closedOnSaturday }),
      makePlace({ id: 'opens-late', ...star, hours: allWeek(11 * 60, 18 * 60) }), // misses 10:00-12:00 only
      makePlace({ id: 'closes-early', ...star, hours: allWeek(9 * 60, 16 * 60) }), // misses 14:00-17:00 only
      ...Array.from({ length: 5 }, (_, i) => makePlace({ id: `open-${i}`, ratingsCount: 10 + i })),
      ...Array.from({ length: 4 }, (_, i) =>
        makePlace({ id: `eat-${i}`, category: 'Eatery', priceLevel: 2 }),
      ),
    ];
    const slots = DAY_TEMPLATE.map((slot) => selectCandidates(places, slot, saturday, 2));
    assert.ok(!slots.flat().some((p) => p.id === 'closed-saturday'));
    assert.ok(!(slots[0] ?? []).some((p) => p.id === 'opens-late'));
    assert.ok((slots[2] ?? []).some((p) => p.id === 'opens-late'));
    assert.ok(!(slots[2] ?? []).some((p) => p.id === 'closes-early'));
    const result = await solve(slots, { distanceNormMeters: 20_000 });
    assert.ok(result.plans.length > 0);
    for (const plan of result.plans) {
      plan.places.forEach((place, i) => {
        const slot = DAY_TEMPLATE[i];
        assert.ok(slot !== undefined);
        assert.ok(
          place.hours[saturday].some((r) => r.open <= slot.start && r.close >= slot.end),
          `${place.id} is closed during slot ${i}`,
        );
      });
    }
  });

  it('keeps only eateries of the requested price level, and visits of any level', () => {
    const places = [
      ...[0, 1, 2, 3, 4].map((level) =>
        makePlace({ id: `e${level}`, category: 'Eatery', priceLevel: level as PriceLevel }),
      ),
      ...[0, 3, 4].map((level) =>
        makePlace({ id: `v${level}`, category: 'Visit', priceLevel: level as PriceLevel }),
      ),
    ];
    for (const level of [0, 1, 2, 3, 4] as const) {
      const lunch = selectCandidates(places, DAY_TEMPLATE[1] ?? DAY_TEMPLATE[0]!, 1, level);
      assert.deepEqual(
        lunch.map((p) => p.id),
        [`e${level}`],
      );
      const morning = selectCandidates(places, DAY_TEMPLATE[0]!, 1, level);
      assert.deepEqual(morning.map((p) => p.id).sort(), ['v0', 'v3', 'v4']);
    }
  });

  it('skips places without ratings and keeps the best 30 by place score', () => {
    const places = [
      makePlace({ id: 'unrated', rating: 5, ratingsCount: 0, priceLevel: 0 }),
      ...Array.from({ length: 40 }, (_, i) =>
        makePlace({ id: `p${String(i).padStart(2, '0')}`, ratingsCount: 1 + i * 10 }),
      ),
    ];
    const chosen = selectCandidates(places, DAY_TEMPLATE[0]!, 1, 2);
    assert.equal(chosen.length, 30);
    assert.ok(!chosen.some((p) => p.id === 'unrated'));
    const scores = chosen.map((p) => placeScore(p));
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    assert.equal(chosen[0]?.id, 'p39');
  });
});

describe('scores', () => {
  it('scores a place as log10(1 + ratings) times rating over the expected price', () => {
    assert.equal(placeScore({ rating: 4, ratingsCount: 99, priceLevel: 0 }), 2 * (4 / 5));
    assert.equal(placeScore({ rating: 4.5, ratingsCount: 999, priceLevel: 2 }), 3 * (4.5 / 30));
    assert.equal(placeScore({ rating: 5, ratingsCount: 9, priceLevel: 4 }), 1 * (5 / 100));
    assert.equal(placeScore({ rating: 5, ratingsCount: 0, priceLevel: 1 }), 0);
  });

  it('scores a plan as mean place score minus mean leg distance over the normaliser', () => {
    const a = makePlace({ id: 'a', rating: 5, ratingsCount: 9, priceLevel: 0, lat: 0, lon: 0 });
    const b = makePlace({ id: 'b', rating: 5, ratingsCount: 99, priceLevel: 0, lat: 0, lon: 0 });
    assert.equal(planScore([a, b], 1000), (1 + 2) / 2);
    const far = makePlace({ ...b, id: 'far', lat: 0.01 }); // about 1,112 m north
    const score = planScore([a, far], 1000);
    assert.ok(Math.abs(score - (1.5 - 1.112)) < 0.01, String(score));
  });
});
