/**
 * Store sizes benchmark (not a test): what one entry of each of the planner's in-memory stores
 * costs, to size their bounds. For solution sets (the best 100 plans of a request, solved on the
 * sample catalog for several cities), the JSON text each store keeps and counts, and the heap
 * one entry takes: as JSON text (today's store) and as a structured-clone object graph (the
 * store before); for fetched places, the JSON per place and per cached category; for planning
 * events, the heap per event of the in-memory ring. Heap figures need `--expose-gc` (the npm
 * script passes it); without it they are left out.
 *
 *   npm run bench:stores              full run
 *   npm run bench:stores -- --smoke   tiny counts, checks the benchmark still runs
 */
import { pathToFileURL } from 'node:url';
import { MemoryPlanningEventLog } from '../src/analytics/event-log.js';
import { Geocoder } from '../src/places/geocoding.js';
import { SampleCatalog } from '../src/places/sample-catalog.js';
import { Planner } from '../src/planning/planner.js';
import { parsePlanningRequest } from '../src/planning/request.js';
import type { SolutionSet } from '../src/planning/solution.js';
import {
  DEFAULT_SOLUTION_CACHE_BYTES,
  MemorySolutionStore,
} from '../src/planning/solution-store.js';
import { DEFAULT_PLACE_CACHE_BYTES, memoryPlaceCache } from '../src/places/place-cache.js';

export interface StoresBenchOptions {
  readonly smoke: boolean;
  readonly log?: (line: string) => void;
}

export interface StoresBenchResult {
  readonly solutionJsonBytes: {
    readonly min: number;
    readonly median: number;
    readonly max: number;
  };
  /** Heap per entry kept as JSON text / as an object graph; undefined without --expose-gc. */
  readonly solutionHeapBytes: { readonly json: number; readonly object: number } | undefined;
  readonly placeJsonBytes: number;
  readonly eventHeapBytes: number | undefined;
}

const CITIES = [
  'San Jose, CA, USA',
  'Paris, France',
  'Tokyo, JP',
  'Sevilla, Spain',
  'Ghent',
  'Lagos, Nigeria',
  'Lima, Peru',
  'Oslo, Norway',
  'Sydney, Australia',
  'Toronto, Canada',
];

export async function main(options: StoresBenchOptions): Promise<StoresBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const geocoder = new Geocoder();
  const catalog = new SampleCatalog(geocoder);
  const planner = new Planner({
    geocoder,
    catalog,
    ...(options.smoke ? { candidatesPerSlot: 5 } : {}),
  });
  const cities = options.smoke ? CITIES.slice(0, 2) : CITIES;
  const sets: SolutionSet[] = [];
  for (const location of cities) {
    for (const priceLevel of options.smoke ? [2] : [1, 2, 3]) {
      const request = parsePlanningRequest({ location, date: '2026-12-05', priceLevel });
      sets.push(await planner.solve(planner.resolve(request)));
    }
  }
  const sizes = sets.map((set) => JSON.stringify(set).length).sort((a, b) => a - b);
  const solutionJsonBytes = {
    min: sizes[0] ?? 0,
    median: sizes[Math.floor(sizes.length / 2)] ?? 0,
    max: sizes.at(-1) ?? 0,
  };
  const copies = options.smoke ? 20 : 300;
  const solutionHeapBytes = heapAvailable()
    ? {
        json: await heapPerEntry(copies, async () => {
          const store = new MemorySolutionStore({ maxBytes: Number.MAX_SAFE_INTEGER });
          for (let i = 0; i < copies; i++) {
            const set = sets[i % sets.length]!;
            await store.set(`k${i}`, { ...set, key: `k${i}` }, 60_000);
          }
          return store;
        }),
        object: await heapPerEntry(copies, () => {
          const map = new Map<string, SolutionSet>();
          for (let i = 0; i < copies; i++) {
            map.set(`k${i}`, structuredClone({ ...sets[i % sets.length]!, key: `k${i}` }));
          }
          return Promise.resolve(map);
        }),
      }
    : undefined;

  const city = geocoder.geocode('Paris, France');
  const places = catalog.placesOf(city);
  const placeJsonBytes = Math.round(JSON.stringify(places).length / places.length);
  const cache = memoryPlaceCache();
  await cache.set('probe', places, 60_000);

  const events = options.smoke ? 1000 : 100_000;
  const eventHeapBytes = heapAvailable()
    ? await heapPerEntry(events, async () => {
        const ring = new MemoryPlanningEventLog(events);
        for (let i = 0; i < events; i++) {
          await ring.record({
            city: 'San Jose, CA, United States',
            country: 'US',
            priceLevel: 2,
            at: 1_764_000_000_000 + i,
            cacheHit: i % 2 === 0,
          });
        }
        return ring;
      })
    : undefined;

  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  log(
    'store            entry                              measured                  bound (default)',
  );
  log(
    `solution cache   one set of ${sets[0]?.plans.length ?? 0} plans (JSON)        ` +
      `min ${kb(solutionJsonBytes.min)}, median ${kb(solutionJsonBytes.median)}, max ${kb(solutionJsonBytes.max)}   ` +
      `${DEFAULT_SOLUTION_CACHE_BYTES / 1024 / 1024} MiB = ${Math.floor(DEFAULT_SOLUTION_CACHE_BYTES / solutionJsonBytes.max)}-${Math.floor(DEFAULT_SOLUTION_CACHE_BYTES / solutionJsonBytes.min)} sets`,
  );
  if (solutionHeapBytes !== undefined) {
    log(`solution cache   heap per set, kept as JSON text     ${kb(solutionHeapBytes.json)}`);
    log(`solution cache   heap per set, kept as objects       ${kb(solutionHeapBytes.object)}`);
  }
  log(
    `place cache      one place (JSON)                   ${placeJsonBytes} B; ${places.length} places ${kb(placeJsonBytes * places.length)}   ` +
      `${DEFAULT_PLACE_CACHE_BYTES / 1024 / 1024} MiB = ${Math.floor(DEFAULT_PLACE_CACHE_BYTES / (placeJsonBytes * 500))} fetches of 500 places`,
  );
  if (eventHeapBytes !== undefined) {
    log(
      `event log        heap per planning event            ${Math.round(eventHeapBytes)} B        100,000 events = ${((eventHeapBytes * 100_000) / 1024 / 1024).toFixed(1)} MiB`,
    );
  }
  return { solutionJsonBytes, solutionHeapBytes, placeJsonBytes, eventHeapBytes };
}

function heapAvailable(): boolean {
  return typeof globalThis.gc === 'function';
}

/** Holds what is being measured, so that the collector cannot take it early. */
const sink: unknown[] = [];

/** Heap retained by what `build` returns, per entry: one run, between two full collections. */
async function heapPerEntry(entries: number, build: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  sink.push(await build());
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  sink.length = 0;
  globalThis.gc?.();
  return (after - before) / entries;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ smoke: process.argv.includes('--smoke') });
}
