/**
 * A person's own 1-D or 2-D data from a CSV file. The file is streamed (a gigabyte never becomes
 * one string): an incremental RFC 4180 parser (quoted fields, "" escapes, CR, LF or CRLF line ends,
 * a UTF-8 byte-order mark) feeds records to a column reader that keeps only the chosen columns as
 * numbers. Rows that are empty, non-numeric or non-finite there are skipped and reported by line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../errors';
import { Rng } from '../rng';
import type { PointDataset } from './dataset';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
const SNIFF_BYTES = 64 * 1024;
const EXAMPLES = 10;
/** Share of rows held out as the test split (at least one row). */
const TEST_SHARE = 0.1;
/** The split is fixed per file, not per run, so that runs on the same file compare. */
const SPLIT_SEED = 20261125;

export interface CsvColumn {
  name: string;
  /** 1-based position. */
  index: number;
  /** Share of sampled rows where this column holds a finite number. */
  numericShare: number;
}

export interface CsvShape {
  delimiter: (typeof DELIMITERS)[number];
  hasHeader: boolean;
  columns: CsvColumn[];
}

/** Splits text into records incrementally; `push` as chunks arrive, `end` for the last one. */
export class CsvParser {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  /** The previous chunk ended inside a quoted field on a quote that may be the first of "". */
  private pendingQuote = false;
  private afterCr = false;
  private started = false;
  /** The line the current record started on (1-based). */
  private line = 1;
  private recordLine = 1;

  constructor(
    private readonly delimiter: string,
    private readonly onRecord: (fields: string[], line: number) => void,
  ) {}

  push(text: string): void {
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const ch = text[i];
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') continue;
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (ch === '"') {
          this.field += '"';
          continue;
        }
        this.quoted = false;
      }
      if (this.quoted) {
        if (ch === '"') this.pendingQuote = true;
        else {
          if (ch === '\n' || ch === '\r') this.line++;
          this.field += ch;
        }
        continue;
      }
      if (ch === '"' && this.field === '') this.quoted = true;
      else if (ch === this.delimiter) {
        this.record.push(this.field);
        this.field = '';
      } else if (ch === '\n' || ch === '\r') {
        this.afterCr = ch === '\r';
        this.finishRecord();
        this.line++;
        this.recordLine = this.line;
      } else this.field += ch;
    }
  }

  end(): void {
    if (this.pendingQuote) this.quoted = false;
    if (this.field !== '' || this.record.length) this.finishRecord();
  }

  private finishRecord(): void {
    this.record.push(this.field);
    this.onRecord(this.record, this.recordLine);
    this.record = [];
    this.field = '';
  }
}

/** A field as a number, or why it is not one. */
function toNumber(text: string): number | string {
  const t = text.trim();
  if (t === '') return 'empty';
  const v = Number(t);
  if (Number.isNaN(v)) return `not a number: '${t.length > 24 ? `${t.slice(0, 24)}…` : t}'`;
  return Number.isFinite(v) ? v : `not a finite number: '${t}'`;
}

/** The file's first SNIFF_BYTES as text, and whether that is all of it. */
function readStart(file: string): { text: string; whole: boolean } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new UserError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, 'Check that the file exists and that you may read it.');
  }
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, buffer, 0, SNIFF_BYTES, 0);
    return { text: new StringDecoder('utf8').write(buffer.subarray(0, n)), whole: n < SNIFF_BYTES };
  } finally {
    fs.closeSync(fd);
  }
}

/** The records of the file's start; when that is not the whole file, the last one may be cut, and is dropped. */
function sampleRecords({ text, whole }: { text: string; whole: boolean }, delimiter: string): string[][] {
  const records: string[][] = [];
  const parser = new CsvParser(delimiter, (fields) => records.push(fields));
  parser.push(text);
  parser.end();
  return !whole && records.length > 1 ? records.slice(0, -1) : records;
}

/**
 * Guesses the delimiter (the one that splits the sampled rows into the same number of fields, more
 * than one), whether the first row is a header (it has a non-numeric field where the next rows are
 * numeric), and each column's name and share of numbers.
 */
export function sniffCsv(file: string): CsvShape {
  const start = readStart(file);
  let best: { delimiter: CsvShape['delimiter']; records: string[][]; score: number } | undefined;
  for (const delimiter of DELIMITERS) {
    const records = sampleRecords(start, delimiter).filter((r) => r.some((f) => f.trim() !== ''));
    if (!records.length) continue;
    const widths = records.map((r) => r.length);
    const common = widths.sort((a, b) => widths.filter((w) => w === b).length - widths.filter((w) => w === a).length)[0];
    const consistent = records.filter((r) => r.length === common).length / records.length;
    const score = common > 1 ? consistent * Math.min(common, 20) : 0;
    if (!best || score > best.score) best = { delimiter, records, score };
  }
  if (!best) throw new UserError(`${file} is empty.`, 'Choose a CSV file with a header row and rows of numbers.');
  const { delimiter, records } = best;
  const width = Math.max(...records.map((r) => r.length));
  const numeric = (r: string[], i: number) => typeof toNumber(r[i] ?? '') === 'number';
  const rest = records.slice(1);
  const hasHeader = records[0].some((f, i) => !numeric(records[0], i) && f.trim() !== '' && rest.some((r) => numeric(r, i)));
  const body = hasHeader ? rest : records;
  const columns = Array.from({ length: width }, (_, i) => ({
    name: hasHeader ? (records[0][i]?.trim() || `column ${i + 1}`) : `column ${i + 1}`,
    index: i + 1,
    numericShare: body.length ? body.filter((r) => numeric(r, i)).length / body.length : 0,
  }));
  return { delimiter, hasHeader, columns };
}

export interface CsvPoints {
  points: Float32Array;
  count: number;
  dim: number;
  /** The names of the columns read, in order. */
  columns: string[];
  skipped: { count: number; examples: { line: number; reason: string }[] };
}

/** Finds a column by its header name (exactly, then ignoring case) or its 1-based number. */
function columnIndex(shape: CsvShape, wanted: string, file: string): number {
  const exact = shape.columns.find((c) => c.name === wanted) ?? shape.columns.find((c) => c.name.toLowerCase() === wanted.toLowerCase());
  if (exact) return exact.index - 1;
  const n = Number(wanted);
  if (Number.isInteger(n) && n >= 1 && n <= shape.columns.length) return n - 1;
  throw new UserError(`${path.basename(file)} has no column "${wanted}".`, `Its columns: ${shape.columns.map((c) => c.name).join(', ')} (or their numbers, 1 to ${shape.columns.length}).`);
}

/** Streams `file` and keeps the chosen columns (names or 1-based numbers) as rows of numbers. */
export async function readCsvColumns(file: string, wanted: string[]): Promise<CsvPoints> {
  const shape = sniffCsv(file);
  const indices = wanted.map((w) => columnIndex(shape, w, file));
  const dim = indices.length;
  let values = new Float32Array(1024 * dim);
  let count = 0;
  const skipped = { count: 0, examples: [] as { line: number; reason: string }[] };
  const skip = (line: number, reason: string) => {
    skipped.count++;
    if (skipped.examples.length < EXAMPLES) skipped.examples.push({ line, reason });
  };
  let first = true;
  const parser = new CsvParser(shape.delimiter, (fields, line) => {
    if (first && shape.hasHeader) {
      first = false;
      return;
    }
    first = false;
    if (fields.every((f) => f.trim() === '')) return skip(line, 'empty row');
    const row: number[] = [];
    for (const [k, i] of indices.entries()) {
      const v = toNumber(fields[i] ?? '');
      if (typeof v === 'string') return skip(line, `${shape.columns[i]?.name ?? `column ${i + 1}`}: ${v}`);
      row[k] = v;
    }
    if (count * dim + dim > values.length) {
      const grown = new Float32Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    values.set(row, count * dim);
    count++;
  });
  const decoder = new StringDecoder('utf8');
  for await (const chunk of fs.createReadStream(file)) parser.push(decoder.write(chunk as Buffer));
  parser.push(decoder.end());
  parser.end();
  if (count < 2) {
    throw new UserError(
      `${path.basename(file)} has ${count} usable row${count === 1 ? '' : 's'} in ${wanted.join(', ')}${skipped.count ? ` (${skipped.count} skipped, e.g. line ${skipped.examples[0].line}: ${skipped.examples[0].reason})` : ''}.`,
      'A density needs at least two rows of numbers: check the columns chosen and the file.',
    );
  }
  return { points: values.slice(0, count * dim), count, dim, columns: indices.map((i) => shape.columns[i].name), skipped };
}

/** A one-line report of skipped rows: the first few by line, then a count. */
export function describeSkipped(s: CsvPoints['skipped']): string | undefined {
  if (!s.count) return undefined;
  const shown = s.examples.slice(0, 3).map((e) => `line ${e.line} (${e.reason})`);
  return `Skipped ${s.count} row${s.count === 1 ? '' : 's'}: ${shown.join(', ')}${s.count > shown.length ? `, and ${s.count - shown.length} more` : ''}.`;
}

/**
 * The rows as a dataset: a fixed shuffle splits off a tenth (at least one row) as the test set,
 * and the extent covers the data with a margin of a tenth of its range on each side.
 */
export function csvDataset(file: string, data: CsvPoints): PointDataset {
  if (data.dim !== 1 && data.dim !== 2) throw new UserError(`Pick one or two columns, not ${data.dim}.`, 'GenLab models 1-D or 2-D data from CSV files.');
  const dim = data.dim;
  const order = new Rng(SPLIT_SEED).permutation(data.count);
  const testCount = Math.max(1, Math.round(data.count * TEST_SHARE));
  const take = (rows: Uint32Array) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => out.set(data.points.subarray(r * dim, (r + 1) * dim), i * dim));
    return { count: rows.length, points: out };
  };
  const range = (d: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = d; i < data.points.length; i += dim) {
      lo = Math.min(lo, data.points[i]);
      hi = Math.max(hi, data.points[i]);
    }
    const pad = (hi - lo) * 0.1 || Math.abs(lo) * 0.1 || 1;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = range(0);
  const [y0, y1] = dim === 2 ? range(1) : [0, 1];
  return {
    kind: 'points',
    name: 'csv',
    dim,
    train: take(order.subarray(testCount)),
    test: take(order.subarray(0, testCount)),
    extent: [x0, x1, y0, y1],
    description: `${path.basename(file)}: ${data.columns.join(', ')} (${data.count} rows)`,
  };
}
