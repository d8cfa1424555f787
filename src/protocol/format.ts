/** How numbers and durations read to people, in the CLI, the extension and the webviews alike. Pure: no DOM, no Node. */

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return grouped.format(n);
}

/** Axis ticks for steps: 950 → "950", 1500 → "1.5k", 20000 → "20k", 2500000 → "2.5M". */
export function formatCompact(n: number): string {
  const a = Math.abs(n);
  const trim = (v: number): string => String(Number(v.toFixed(1)));
  if (a >= 1e9) return `${trim(n / 1e9)}G`;
  if (a >= 1e6) return `${trim(n / 1e6)}M`;
  if (a >= 1e4) return `${trim(n / 1e3)}k`;
  if (a >= 1e3 && n % 100 === 0) return `${trim(n / 1e3)}k`;
  return String(Math.round(n * 100) / 100);
}

/** A loss value with about four significant figures: 543.21 → "543.2", 0.012345 → "0.01235". */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  if (a >= 1e5) return v.toExponential(2);
  if (a >= 1000) return formatCount(v);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  if (a >= 1) return v.toFixed(3);
  if (a === 0) return '0';
  if (a >= 1e-3) return v.toPrecision(4).replace(/0+$/, '').replace(/\.$/, '');
  return v.toExponential(2);
}

/** A duration in seconds, two units at most: "45s", "3m 05s", "1h 02m", "2d 3h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** Time left at the current speed, or undefined when it cannot be known (no speed, or done). */
export function etaSeconds(step: number, totalSteps: number, stepsPerSecond: number): number | undefined {
  const remaining = totalSteps - step;
  if (!(stepsPerSecond > 0) || !(remaining > 0) || !Number.isFinite(remaining)) return undefined;
  return remaining / stepsPerSecond;
}

/** "ETA 3m 05s", or "" when unknown. */
export function formatEta(step: number, totalSteps: number, stepsPerSecond: number): string {
  const eta = etaSeconds(step, totalSteps, stepsPerSecond);
  return eta === undefined ? '' : `ETA ${formatDuration(eta)}`;
}

/** Training speed: "123 steps/s", "4.5 steps/s", "0.25 steps/s". */
export function formatRate(stepsPerSecond: number): string {
  if (!(stepsPerSecond > 0)) return '— steps/s';
  const digits = stepsPerSecond >= 100 ? 0 : stepsPerSecond >= 10 ? 1 : stepsPerSecond >= 1 ? 1 : 2;
  return `${stepsPerSecond.toFixed(digits)} steps/s`;
}

/** Epochs may be fractional (progress within an epoch): 2 → "2", 2.46 → "2.5". */
export function formatEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(1);
}

/** Relative age of an ISO date, for the gallery: "just now", "5 min ago", "3 h ago", or the date. */
export function formatAge(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = (now - t) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** An axis tick: as many decimals as the tick spacing needs (spacing 50 → "150", 0.25 → "1.25"). */
export function formatTick(v: number, increment: number): string {
  if (!Number.isFinite(v)) return '';
  if (Math.abs(v) >= 1e6) return formatCompact(v);
  // Tiny spacings (a converged loss): enough decimals to tell the ticks apart.
  if (increment > 0 && increment < 1e-4) return v.toFixed(Math.min(12, Math.ceil(-Math.log10(increment))));
  const frac = increment > 0 ? (String(Number(increment.toPrecision(6))).split('.')[1] ?? '') : '';
  const decimals = Math.min(6, frac.length);
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
