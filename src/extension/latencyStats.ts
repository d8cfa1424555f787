/** Trainer-to-screen latency of metrics, as reported by a dashboard after drawing. */
export class LatencyStats {
  private readonly samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  percentile(p: number): number {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
  }

  describe(): string {
    return `p50 ${this.percentile(50).toFixed(1)} ms, p95 ${this.percentile(95).toFixed(1)} ms over ${this.count} draws`;
  }
}
