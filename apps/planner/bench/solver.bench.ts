/**
 * Solver benchmark (not a test): solve time for one request of the four-slot day template at
 * 10, 20 and 30 candidates per slot (30 is 810,000 combinations), with the default settings
 * (top 100, a place in at most 10 plans), and the ratio to a naive exhaustive solver run in the
 * same process (materialise every plan, sort them all, then dedupe), since absolute times drift
 * on shared machines and ratios hold. Synthetic slots hold distinct places, so the naive solver
 * needs no reordering rule to agree. Also times one full request on the sample catalog
 * (geocoded city, candidates, solve).
 *
 *   npm run bench              full run
 *   npm run bench -- --smoke   tiny counts, checks the benchmark still runs
 */
import { pathToFileURL } from 'node:url';
import { Geocoder } from '../src/places/geocoding.js';
import type { Place, PriceLevel } from '../src/places/place.js';
import { SampleCatalog } from '../src/places/sample-catalog.js';
import { seededRandom } from '../src/places/seeded-random.js';
import { Planner } from '../src/planning/planner.js';
import { parsePlanningRequest } from '../src/planning/request.js';
import { planScore } from '../src/planning/score.js';
import { DEFAULT_MAX_PLACE_REPEATS, DEFAULT_TOP_K, solve } from '../src/planning/solver.js';

export interface BenchOptions {
  readonly smoke: boolean;
  readonly log?: (line: string) => void;
}

export interface BenchRow {
  readonly candidates: number;
  readonly combinations: number;
  readonly medianMs: number;
  readonly naiveMs: number;
  readonly plans: number;
  readonly passes: number;
}

const NORM = 20_000;

export async function main(options: BenchOptions): Promise<BenchRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes = options.smoke ? [3, 4] : [10, 20, 30];
  const runs = options.smoke ? 1 : 7;
  const rows: BenchRow[] = [];
  for (const candidates of sizes) {
    const slots = syntheticSlots(candidates);
    await solve(slots, { distanceNormMeters: NORM }); // warm up the JIT
    const times: number[] = [];
    let plans = 0;
    let passes = 0;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const result = await solve(slots, { distanceNormMeters: NORM, timeLimitMs: 60_000 });
      times.push(performance.now() - started);
      plans = result.plans.length;
      passes = result.passes;
    }
    const naiveStarted = performance.now();
    naiveSolve(slots);
    const naiveMs = performance.now() - naiveStarted;
    rows.push({
      candidates,
      combinations: candidates ** 4,
      medianMs: median(times),
      naiveMs,
      plans,
      passes,
    });
  }
  printTable(rows, log);
  await sampleRequest(options.smoke, log);
  return rows;
}

/** Four slots (visit, eatery, visit, eatery) of distinct places scattered over 10 km. */
function syntheticSlots(candidates: number): Place[][] {
  const random = seededRandom(2024 + candidates);
  return Array.from({ length: 4 }, (_, slot) =>
    Array.from({ length: candidates }, (_, i) => ({
      id: `s${slot}-${i}`,
      name: `Place ${slot}-${i}`,
      category: slot % 2 === 0 ? ('Visit' as const) : ('Eatery' as const),
      lat: 37.3 + random.next() * 0.09,
      lon: -121.95 + random.next() * 0.11,
      address: '',
      priceLevel: (slot % 2 === 0 ? random.int(0, 3) : 2) as PriceLevel,
      rating: Math.round((3 + random.next() * 2) * 10) / 10,
      ratingsCount: random.int(1, 20_000),
      hours: [[], [], [], [], [], [], []],
      url: '',
    })),
  );
}

/** The obvious solver: every plan as an object, one big sort, then the same dedupe rules. */
function naiveSolve(slots: readonly (readonly Place[])[]): number {
  const plans: { score: number; places: Place[] }[] = [];
  const walk = (depth: number, chosen: Place[]): void => {
    if (depth === slots.length) {
      if (new Set(chosen.map((p) => p.id)).size === chosen.length)
        plans.push({ score: planScore(chosen, NORM), places: chosen });
      return;
    }
    for (const place of slots[depth] ?? []) walk(depth + 1, [...chosen, place]);
  };
  walk(0, []);
  plans.sort((a, b) => b.score - a.score);
  const uses = new Map<string, number>();
  let kept = 0;
  for (const plan of plans) {
    if (kept === DEFAULT_TOP_K) break;
    if (plan.places.some((p) => (uses.get(p.id) ?? 0) >= DEFAULT_MAX_PLACE_REPEATS)) continue;
    plan.places.forEach((p) => uses.set(p.id, (uses.get(p.id) ?? 0) + 1));
    kept++;
  }
  return kept;
}

async function sampleRequest(smoke: boolean, log: (line: string) => void): Promise<void> {
  const geocoder = new Geocoder();
  const loadStarted = performance.now();
  geocoder.geocode('San Jose, CA, USA');
  const loadMs = performance.now() - loadStarted;
  const planner = new Planner({
    geocoder,
    catalog: new SampleCatalog(geocoder),
    ...(smoke ? { candidatesPerSlot: 4 } : {}),
  });
  const request = parsePlanningRequest({
    location: 'San Jose, CA, USA',
    date: '2026-12-05',
    priceLevel: 2,
  });
  const resolved = planner.resolve(request);
  const firstStarted = performance.now();
  const set = await planner.solve(resolved); // also generates the city's sample places
  const firstMs = performance.now() - firstStarted;
  const times: number[] = [];
  for (let run = 0; run < (smoke ? 1 : 5); run++) {
    const started = performance.now();
    await planner.solve(resolved);
    times.push(performance.now() - started);
  }
  log('');
  log(`gazetteer load and index: ${loadMs.toFixed(0)} ms (once per process)`);
  log(
    `one request, San Jose sample catalog, price level 2: ${set.candidatesPerSlot.join(' x ')} candidates, ` +
      `${set.combinations.toLocaleString('en-US')} combinations, ${set.plans.length} plans: ` +
      `first ${firstMs.toFixed(1)} ms, then median ${median(times).toFixed(1)} ms`,
  );
}

function printTable(rows: readonly BenchRow[], log: (line: string) => void): void {
  const base = rows[0]?.medianMs ?? 1;
  log(
    'candidates/slot  combinations  plans  passes  solve median ms  vs smallest  naive ms  naive/solve',
  );
  for (const row of rows) {
    log(
      [
        String(row.candidates).padStart(15),
        row.combinations.toLocaleString('en-US').padStart(14),
        String(row.plans).padStart(7),
        String(row.passes).padStart(8),
        row.medianMs.toFixed(1).padStart(17),
        `${(row.medianMs / base).toFixed(1)}x`.padStart(12),
        row.naiveMs.toFixed(0).padStart(9),
        `${(row.naiveMs / row.medianMs).toFixed(1)}x`.padStart(12),
      ].join(''),
    );
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ smoke: process.argv.includes('--smoke') });
}
