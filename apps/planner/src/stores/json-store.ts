/**
 * The planner's key-value stores with expiry (solution sets, fetched places), in memory, bounded
 * by bytes. A value is kept as its JSON text: what is counted is what is kept (one byte a
 * character for the ASCII-heavy JSON here, measured in bench/stores.bench.ts and the README), a
 * caller's later change to a value never reaches the store, and a read decodes a fresh copy
 * through the same check as a read from Redis. When a write would pass `maxBytes`, the oldest
 * written entries go first; an expired entry is dropped when read or pushed out.
 */

/** Checks a decoded value: the value, or a message saying what is wrong with it. */
export type Decoder<T> = (value: unknown) => T | { readonly invalid: string };

export interface ExpiringStore<T> {
  /** The value stored under `key`, or undefined when there is none, it expired, or it is corrupt. */
  get(key: string): Promise<T | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any earlier value. */
  set(key: string, value: T, ttlMs: number): Promise<void>;
}

export interface MemoryJsonStoreOptions<T> {
  /** Most bytes of JSON kept (keys included). */
  readonly maxBytes: number;
  readonly decode: Decoder<T>;
  /** Milliseconds clock. Default `Date.now`. */
  readonly now?: () => number;
}

/** V8 keeps a short Map entry, its record and the key in about this many bytes besides the text. */
export const ENTRY_OVERHEAD_BYTES = 200;

export class MemoryJsonStore<T> implements ExpiringStore<T> {
  private readonly entries = new Map<string, { text: string; expiresAt: number; bytes: number }>();
  private readonly now: () => number;
  private readonly maxBytes: number;
  private readonly decode: Decoder<T>;
  private usedBytes = 0;

  constructor(options: MemoryJsonStoreOptions<T>) {
    if (!(Number.isFinite(options.maxBytes) && options.maxBytes > 0)) {
      throw new RangeError(`maxBytes must be a number > 0, got ${options.maxBytes}`);
    }
    this.maxBytes = options.maxBytes;
    this.decode = options.decode;
    this.now = options.now ?? Date.now;
  }

  /** Bytes counted for the entries kept now. */
  get bytes(): number {
    return this.usedBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    if (this.now() >= entry.expiresAt) {
      this.remove(key);
      return Promise.resolve(undefined);
    }
    const decoded = this.decode(JSON.parse(entry.text));
    return Promise.resolve(isInvalid(decoded) ? undefined : decoded);
  }

  set(key: string, value: T, ttlMs: number): Promise<void> {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      return Promise.reject(new RangeError(`ttlMs must be a number > 0, got ${ttlMs}`));
    }
    const text = JSON.stringify(value);
    const bytes = text.length + key.length + ENTRY_OVERHEAD_BYTES;
    this.remove(key);
    if (bytes > this.maxBytes) return Promise.resolve(); // larger than the whole store: not kept
    for (const oldest of this.entries.keys()) {
      if (this.usedBytes + bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
    this.entries.set(key, { text, expiresAt: this.now() + ttlMs, bytes });
    this.usedBytes += bytes;
    return Promise.resolve();
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.usedBytes -= entry.bytes;
  }
}

export function isInvalid<T>(decoded: T | { readonly invalid: string }): decoded is {
  readonly invalid: string;
} {
  return (
    typeof decoded === 'object' &&
    decoded !== null &&
    'invalid' in decoded &&
    Object.keys(decoded).length === 1
  );
}
