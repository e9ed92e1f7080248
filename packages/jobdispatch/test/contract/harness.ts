/**
 * The harness of the dispatcher contract: builds dispatchers on the backend under test and stops
 * them after each test. Tests wait for events or gates, never for wall-clock time; a clock is
 * injected where expiry matters.
 */
import { afterEach } from 'node:test';
import {
  type Backend,
  Dispatcher,
  type DispatcherOptions,
  type EventLogOptions,
  type RetentionOptions,
} from '../../src/index.js';

/** What a test may ask of the backend under test; each goes to its constructor. */
export interface BackendOptions {
  readonly capacityPerLevel?: number;
  readonly maxWaitMs?: { readonly normal?: number; readonly low?: number };
  readonly now?: () => number;
  readonly dedupTtlMs?: number;
  readonly retention?: RetentionOptions;
  readonly events?: EventLogOptions;
}

export type MakeBackend = (options: BackendOptions) => Backend | Promise<Backend>;

export type ContractOptions = Omit<
  DispatcherOptions,
  'backend' | 'capacityPerLevel' | 'maxWaitMs' | 'dedupTtlMs' | 'retention' | 'events'
> &
  BackendOptions;

export interface Harness {
  /** A dispatcher on a fresh backend of the kind under test; stopped after the test. */
  readonly make: (options?: ContractOptions) => Promise<Dispatcher>;
  /** The backend a dispatcher of `make` (or `adopt`) runs on. */
  readonly backendOf: (dispatcher: Dispatcher) => Backend;
  /** A fresh backend of the kind under test, for a test that wraps it. */
  readonly makeBackend: MakeBackend;
  /** Stops, after the test, a dispatcher the test built itself. */
  readonly adopt: (dispatcher: Dispatcher, backend: Backend) => void;
}

export const HOUR = 60 * 60 * 1000;

/** Call inside the suite's `describe`: it registers the `afterEach` that stops every dispatcher. */
export function createHarness(makeBackend: MakeBackend): Harness {
  const dispatchers: Dispatcher[] = [];
  const backends = new Map<Dispatcher, Backend>();
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 2000 })));
    backends.clear();
  });
  const adopt = (dispatcher: Dispatcher, backend: Backend): void => {
    dispatchers.push(dispatcher);
    backends.set(dispatcher, backend);
  };
  return {
    makeBackend,
    adopt,
    async make(options = {}) {
      const { capacityPerLevel, maxWaitMs, dedupTtlMs, retention, events, ...rest } = options;
      const backend = await makeBackend({
        ...(capacityPerLevel !== undefined && { capacityPerLevel }),
        ...(maxWaitMs !== undefined && { maxWaitMs }),
        ...(dedupTtlMs !== undefined && { dedupTtlMs }),
        ...(retention !== undefined && { retention }),
        ...(events !== undefined && { events }),
        ...(options.now !== undefined && { now: options.now }),
      });
      const dispatcher = new Dispatcher({ ...rest, backend });
      adopt(dispatcher, backend);
      return dispatcher;
    },
    backendOf(dispatcher) {
      const backend = backends.get(dispatcher);
      if (backend === undefined) throw new Error('not a dispatcher of this harness');
      return backend;
    },
  };
}
