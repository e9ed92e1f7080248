/**
 * Where solutions are kept between requests: a small async key-value seam with expiry. The
 * in-memory store honours expiry against an injectable clock and hands out copies, so what a
 * caller does with a value never changes what is stored (as with a store across a network).
 */
import type { SolutionSet } from './solution.js';

/** Solutions live this long (the original's 24 h). */
export const SOLUTION_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MEMORY_STORE_ENTRIES = 10_000;

export interface SolutionStore {
  /** The value stored under `key`, or undefined when there is none or it has expired. */
  get(key: string): Promise<SolutionSet | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any earlier value. */
  set(key: string, value: SolutionSet, ttlMs: number): Promise<void>;
}

export interface MemorySolutionStoreOptions {
  /** Milliseconds clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Most entries kept; the oldest written goes first. Default `DEFAULT_MEMORY_STORE_ENTRIES`. */
  readonly maxEntries?: number;
}

export class MemorySolutionStore implements SolutionStore {
  private readonly entries = new Map<string, { value: SolutionSet; expiresAt: number }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(options: MemorySolutionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MEMORY_STORE_ENTRIES);
  }

  get(key: string): Promise<SolutionSet | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(structuredClone(entry.value));
  }

  set(key: string, value: SolutionSet, ttlMs: number): Promise<void> {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      return Promise.reject(new RangeError(`ttlMs must be a number > 0, got ${ttlMs}`));
    }
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value: structuredClone(value), expiresAt: this.now() + ttlMs });
    return Promise.resolve();
  }
}
