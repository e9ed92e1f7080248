/**
 * A simple limiter for live provider calls (the library has no rate limit of its own yet): at
 * most `maxConcurrent` calls at once and at most `perSecond` starts per second (a token bucket
 * of `perSecond` tokens, refilled continuously). A call that cannot start within `maxWaitMs`, or
 * that finds `maxQueued` calls already waiting, is refused at once with
 * `PLACES_PROVIDER_UNAVAILABLE`: a caller never waits without a bound, and a burst of requests
 * never turns into a bill.
 */
import { providerError } from '../../errors.js';

export interface LimiterOptions {
  readonly provider: string;
  readonly maxConcurrent: number;
  readonly perSecond: number;
  /** Default 100. */
  readonly maxQueued?: number;
  /** Default 10000. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

interface Waiter {
  readonly start: () => void;
  readonly timer: NodeJS.Timeout;
}

export interface LimiterStats {
  readonly running: number;
  readonly queued: number;
  /** Calls refused because the queue was full or the wait too long. */
  readonly refused: number;
  /** Calls started. */
  readonly started: number;
}

export class Limiter {
  private readonly o: Required<LimiterOptions>;
  private tokens: number;
  private refilledAt: number;
  private running = 0;
  private refused = 0;
  private started = 0;
  private readonly waiting: Waiter[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(options: LimiterOptions) {
    for (const [name, value] of [
      ['maxConcurrent', options.maxConcurrent],
      ['perSecond', options.perSecond],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`${name} must be a number > 0, got ${value}`);
      }
    }
    this.o = { maxQueued: 100, maxWaitMs: 10_000, now: Date.now, ...options };
    this.tokens = Math.max(1, this.o.perSecond);
    this.refilledAt = this.o.now();
  }

  stats(): LimiterStats {
    return {
      running: this.running,
      queued: this.waiting.length,
      refused: this.refused,
      started: this.started,
    };
  }

  /** Runs `call` when the limits allow, or rejects with PLACES_PROVIDER_UNAVAILABLE. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await call();
    } finally {
      this.running--;
      this.pump();
    }
  }

  private acquire(): Promise<void> {
    if (this.waiting.length === 0 && this.tryStart()) return Promise.resolve();
    if (this.waiting.length >= this.o.maxQueued) {
      this.refused++;
      return Promise.reject(
        providerError(
          'PLACES_PROVIDER_UNAVAILABLE',
          this.o.provider,
          `too many calls waiting (${this.waiting.length}); the call limit is ${this.o.maxConcurrent} at once and ${this.o.perSecond} per second`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          this.refused++;
          reject(
            providerError(
              'PLACES_PROVIDER_UNAVAILABLE',
              this.o.provider,
              `the call limit (${this.o.maxConcurrent} at once, ${this.o.perSecond} per second) kept this call waiting ${this.o.maxWaitMs} ms`,
            ),
          );
        }, this.o.maxWaitMs),
      };
      this.waiting.push(waiter);
      this.pump();
    });
  }

  /** Takes a slot and a token if both are free. */
  private tryStart(): boolean {
    this.refill();
    if (this.running >= this.o.maxConcurrent || this.tokens < 1) return false;
    this.tokens--;
    this.running++;
    this.started++;
    return true;
  }

  private refill(): void {
    const now = this.o.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(
      Math.max(1, this.o.perSecond),
      this.tokens + (elapsed / 1000) * this.o.perSecond,
    );
    this.refilledAt = now;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.tryStart()) this.waiting.shift()?.start();
    if (this.waiting.length === 0 || this.running >= this.o.maxConcurrent || this.wakeTimer) return;
    // Out of tokens: wake when the next one is due.
    const dueMs = Math.ceil(((1 - this.tokens) / this.o.perSecond) * 1000);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.pump();
      },
      Math.max(1, dueMs),
    );
    this.wakeTimer.unref();
  }
}
