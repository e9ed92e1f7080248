/**
 * The dispatcher's side of the limits that hold over a whole queue (`rateLimit`,
 * `globalConcurrency`, see "Type limits" in backend.ts): the map every claim passes to the
 * backend, and which events free a global slot, so that an idle loop claims again when another
 * process's job of a globally limited type ends.
 */
import type { TypeLimits } from './backend.js';
import type { JobEvent } from './events.js';
import type { ResolvedHandlerOptions } from './handler.js';

/** The events after which a job no longer runs (release and lease expiry queue it again). */
const LEAVES_RUNNING: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
  'retrying',
  'queued',
]);

export class QueueLimits {
  /** Per limited type, what each claim passes on. */
  readonly byType = new Map<string, TypeLimits>();
  private readonly global = new Set<string>();

  add(type: string, options: ResolvedHandlerOptions): void {
    const { rateLimit, globalConcurrency } = options;
    if (rateLimit === undefined && globalConcurrency === undefined) return;
    this.byType.set(type, {
      ...(rateLimit !== undefined && { rateLimit }),
      ...(globalConcurrency !== undefined && { globalConcurrency }),
    });
    if (globalConcurrency !== undefined) this.global.add(type);
  }

  /** Whether `event` may have freed a global slot of a type this dispatcher runs. */
  frees(event: JobEvent): boolean {
    return this.global.size > 0 && this.global.has(event.name) && LEAVES_RUNNING.has(event.type);
  }
}
