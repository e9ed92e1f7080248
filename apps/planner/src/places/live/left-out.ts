/**
 * What a live provider's answer held that could not be planned, counted by reason and logged
 * once per fetch (nothing is dropped silently): "overpass: 3 of 140 places left out (no
 * opening_hours: 2, opening_hours the parser rejects: 1)".
 */
import type { CatalogQuery } from '../catalog.js';

export interface ProviderLog {
  info(fields: Record<string, unknown>, message: string): void;
}

export class LeftOut {
  private readonly counts = new Map<string, number>();
  private total = 0;

  add(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.total++;
  }

  report(log: ProviderLog | undefined, provider: string, query: CatalogQuery, of: number): void {
    if (log === undefined || this.total === 0) return;
    const reasons = [...this.counts].map(([reason, count]) => `${reason}: ${count}`).join(', ');
    log.info(
      {
        provider,
        category: query.category,
        center: query.center,
        leftOut: Object.fromEntries(this.counts),
      },
      `${provider}: ${this.total} of ${of} places left out (${reasons})`,
    );
  }
}
