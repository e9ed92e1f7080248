/**
 * Where solutions are kept between requests: an async key-value seam with expiry. The in-memory
 * store keeps each set as JSON text and is bounded by bytes (`DEFAULT_SOLUTION_CACHE_BYTES`):
 * a set of 100 plans is 99-116 KB of JSON and takes as much heap as text, against about 194 KB
 * as an object graph (measured by `npm run bench:stores`, figures in the README), so the
 * default 64 MiB keeps 560-660 sets, and the oldest written go first. (The earlier store, capped
 * at 10,000 object entries, could grow to about 1.9 GB.)
 */
import { decodeSolutionSet } from '../stores/decode.js';
import { type ExpiringStore, MemoryJsonStore } from '../stores/json-store.js';
import type { SolutionSet } from './solution.js';

/** Solutions live this long (the original's 24 h). */
export const SOLUTION_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_SOLUTION_CACHE_BYTES = 64 * 1024 * 1024;

export type SolutionStore = ExpiringStore<SolutionSet>;

export interface MemorySolutionStoreOptions {
  /** Milliseconds clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Most bytes of JSON kept. Default `DEFAULT_SOLUTION_CACHE_BYTES`. */
  readonly maxBytes?: number;
}

export class MemorySolutionStore extends MemoryJsonStore<SolutionSet> {
  constructor(options: MemorySolutionStoreOptions = {}) {
    super({
      maxBytes: options.maxBytes ?? DEFAULT_SOLUTION_CACHE_BYTES,
      decode: decodeSolutionSet,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }
}
