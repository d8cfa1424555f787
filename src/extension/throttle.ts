/**
 * Lets an action through at most once per interval. Webview messages that make a trainer work
 * (`sampleNow` draws a grid of samples) go through one, so a page that sends them in a loop, by a
 * bug or otherwise, costs one grid per interval and not one per message.
 */
export class Throttle {
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True, and starts a new interval, when the last action let through is at least an interval old. */
  allow(): boolean {
    const t = this.now();
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}
