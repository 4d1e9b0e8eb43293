import type { RequestEvent, RequestKind } from './transport.js';

/** Counts registry requests by kind and status (for benchmarks, tests and metrics). */
export class RequestCounter {
  total = 0;
  readonly byKind = new Map<RequestKind, number>();
  readonly byStatus = new Map<number, number>();

  record(event: RequestEvent): void {
    this.total++;
    this.byKind.set(event.kind, (this.byKind.get(event.kind) ?? 0) + 1);
    this.byStatus.set(event.status, (this.byStatus.get(event.status) ?? 0) + 1);
  }

  count(kind: RequestKind): number {
    return this.byKind.get(kind) ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.byKind.clear();
    this.byStatus.clear();
  }

  snapshot(): { total: number; byKind: Record<string, number> } {
    return { total: this.total, byKind: Object.fromEntries(this.byKind) };
  }
}
