/** metrics.jsonl as CSV, for spreadsheets and pandas: one row per record, one column per metric. Pure. */
import type { MetricsRecord } from '../protocol/runFormat';

function cell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Columns: kind, step, epoch, elapsed_ms, then every metric (training ones first, in order of appearance). */
export function metricsToCsv(records: readonly MetricsRecord[]): string {
  const keys: string[] = [];
  for (const kind of ['train', 'eval'] as const) {
    for (const r of records) if (r.kind === kind) for (const k of Object.keys(r.values)) if (!keys.includes(k)) keys.push(k);
  }
  const header = ['kind', 'step', 'epoch', 'elapsed_ms', ...keys];
  const rows = records.map((r) => [r.kind, r.step, r.epoch, Math.round(r.elapsedMs), ...keys.map((k) => r.values[k])].map(cell).join(','));
  return `${[header.map(cell).join(','), ...rows].join('\n')}\n`;
}
