/**
 * Trainer-to-screen latency of metrics, as reported by a dashboard after drawing. Only the newest
 * `capacity` reports are kept: a dashboard open for days, or a page that floods `drawn`, must not
 * grow the extension host; the recent ones are also the ones that describe how it draws now.
 */
export class LatencyStats {
  private readonly samples: number[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly capacity = 10_000) {}

  add(ms: number): void {
    this.total++;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Every report received, including those no longer kept. */
  get count(): number {
    return this.total;
  }

  /** Reports the percentiles are taken over. */
  get kept(): number {
    return this.samples.length;
  }

  percentile(p: number): number {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
  }

  describe(): string {
    const over = this.kept < this.count ? `the last ${this.kept} of ${this.count} draws` : `${this.count} draws`;
    return `p50 ${this.percentile(50).toFixed(1)} ms, p95 ${this.percentile(95).toFixed(1)} ms over ${over}`;
  }
}
