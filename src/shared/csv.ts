/**
 * A person's own 1-D or 2-D data from a CSV file. The file is streamed (a gigabyte never becomes
 * one string): an incremental RFC 4180 parser (quoted fields, "" escapes, CR, LF or CRLF line ends,
 * a UTF-8 byte-order mark) feeds records to a column reader that keeps only the chosen columns as
 * numbers. Rows that are empty, non-numeric or non-finite there are skipped and reported by line.
 * Numbers are plain decimals (`-1.5`, `2e-3`); in semicolon-separated files, as spreadsheets in
 * many European locales save them, a decimal comma (`170,5`) is read too. Thousands separators,
 * units and hexadecimal are not numbers. Files must be UTF-8 (or ASCII).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from './userError';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
const EVEN_PREFERENCE: readonly Delimiter[] = ['\t', ';', '|', ','];
const SNIFF_BYTES = 64 * 1024;
const EXAMPLES = 10;

export interface CsvColumn {
  name: string;
  /** 1-based position. */
  index: number;
  /** Share of sampled rows where this column holds a finite number. */
  numericShare: number;
}

export interface CsvShape {
  delimiter: Delimiter;
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
        if (ch === '\n') {
          // The LF of a CRLF: the line was counted at the CR.
          if (this.quoted) this.field += ch;
          continue;
        }
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
          this.field += ch;
          if (ch === '\n' || ch === '\r') {
            this.line++;
            this.afterCr = ch === '\r';
          }
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

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA_NUMBER = /^[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?$/;
/** Points are float32: a finite double beyond this would become infinite there. */
const FLOAT32_MAX = 3.4028234663852886e38;

const quoted = (t: string) => `'${t.length > 24 ? `${t.slice(0, 24)}…` : t}'`;

/** A field as a number, or why it is not one. */
function toNumber(text: string, decimalComma: boolean): number | string {
  const t = text.trim();
  if (t === '') return 'empty';
  let v: number;
  if (PLAIN_NUMBER.test(t)) v = Number(t);
  else if (decimalComma && DECIMAL_COMMA_NUMBER.test(t)) v = Number(t.replace(',', '.'));
  else return `not a number: ${quoted(t)}`;
  if (!Number.isFinite(v)) return `not a finite number: ${quoted(t)}`;
  return Math.abs(v) > FLOAT32_MAX ? `too large for 32-bit floats (over 3.4e38): ${quoted(t)}` : v;
}

/** Spreadsheets that save semicolon-separated files do so where the comma is the decimal mark. */
const decimalCommaWith = (delimiter: string) => delimiter === ';';

function cannotRead(file: string, err: unknown): UserError {
  return new UserError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, 'Check that the file exists and that you may read it.');
}

/** The file's first SNIFF_BYTES as text, and whether that is all of it. */
function readStart(file: string): { text: string; whole: boolean } {
  const buffer = Buffer.alloc(SNIFF_BYTES);
  let fd: number | undefined;
  let n: number;
  try {
    fd = fs.openSync(file, 'r');
    n = fs.readSync(fd, buffer, 0, SNIFF_BYTES, 0);
  } catch (err) {
    throw cannotRead(file, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  // Zero bytes mean a binary file (a spreadsheet workbook, say) or UTF-16 text, not UTF-8 CSV.
  if (buffer.subarray(0, n).includes(0)) {
    throw new UserError(`${path.basename(file)} is not a UTF-8 text file.`, 'Save it as CSV (comma-separated values, UTF-8), for example with "Save As" in a spreadsheet.');
  }
  return { text: new StringDecoder('utf8').write(buffer.subarray(0, n)), whole: n < SNIFF_BYTES };
}

/** The records of the file's start; when that is not the whole file, the last one may be cut, and is dropped. */
function sampleRecords({ text, whole }: { text: string; whole: boolean }, delimiter: string): string[][] {
  const records: string[][] = [];
  const parser = new CsvParser(delimiter, (fields) => records.push(fields));
  parser.push(text);
  parser.end();
  return !whole && records.length > 1 ? records.slice(0, -1) : records;
}

const isBlank = (record: string[]) => record.every((f) => f.trim() === '');

interface Split {
  delimiter: Delimiter;
  records: string[][];
  /** The most common number of fields in a record (the wider one on a tie). */
  width: number;
  /** The share of records with that many fields. */
  consistency: number;
}

function split(start: { text: string; whole: boolean }, delimiter: Delimiter): Split {
  const records = sampleRecords(start, delimiter).filter((r) => !isBlank(r));
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  const [width, n] = [...counts].reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a), [1, 0]);
  return { delimiter, records, width, consistency: records.length ? n / records.length : 0 };
}

/**
 * The delimiter that splits every sampled row into the same number of fields (more than one); when
 * several do, tab, semicolon or pipe before comma, since commas also serve as decimal marks
 * ("170,5;60,2") while the others rarely appear inside values. Failing that (ragged rows), the one
 * whose most common width is widest and most common.
 */
function chooseSplit(splits: Split[]): Split {
  const even = splits.filter((s) => s.width > 1 && s.consistency === 1);
  if (even.length) return EVEN_PREFERENCE.map((d) => even.find((s) => s.delimiter === d)).find((s) => s !== undefined)!;
  const score = (s: Split) => (s.width > 1 ? s.consistency * Math.min(s.width, 20) : 0);
  return splits.reduce((a, b) => (score(b) > score(a) ? b : a));
}

export interface SniffOptions {
  /** Overrides the guessed delimiter. */
  delimiter?: Delimiter;
  /** Overrides the guess of whether the first row names the columns. */
  hasHeader?: boolean;
}

/**
 * Guesses the delimiter (see chooseSplit), whether the first row is a header (it has text where
 * the next rows have numbers, or, in a file without numbers, only text), and each column's name
 * and share of numbers, from the file's first 64 KB.
 */
export function sniffCsv(file: string, options: SniffOptions = {}): CsvShape {
  const start = readStart(file);
  const { delimiter, records } = options.delimiter ? split(start, options.delimiter) : chooseSplit(DELIMITERS.map((d) => split(start, d)));
  if (!records.length) throw new UserError(`${path.basename(file)} is empty.`, 'Choose a CSV file with a header row and rows of numbers.');
  const decimalComma = decimalCommaWith(delimiter);
  const isNumber = (f: string | undefined) => typeof toNumber(f ?? '', decimalComma) === 'number';
  const [first, ...rest] = records;
  const width = Math.max(...records.map((r) => r.length));
  const columnsWithNumbers = Array.from({ length: width }, (_, i) => i).filter((i) => rest.some((r) => isNumber(r[i])));
  const isText = (f: string | undefined) => f !== undefined && f.trim() !== '' && !isNumber(f);
  const hasHeader = options.hasHeader ?? (columnsWithNumbers.length ? columnsWithNumbers.some((i) => isText(first[i])) : first.every(isText));
  const body = hasHeader ? rest : records;
  const columns = Array.from({ length: width }, (_, i) => ({
    name: (hasHeader && first[i]?.trim()) || `column ${i + 1}`,
    index: i + 1,
    numericShare: body.length ? body.filter((r) => isNumber(r[i])).length / body.length : 0,
  }));
  return { delimiter, hasHeader, columns };
}

export interface CsvPoints {
  /** count*dim values, row by row, in the file's order. */
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

/**
 * Streams `file` and keeps the chosen columns (header names or 1-based numbers) as rows of
 * numbers. Memory holds the numbers kept, not the file.
 */
export async function readCsvColumns(file: string, wanted: string[], options: SniffOptions = {}): Promise<CsvPoints> {
  if (!wanted.length) throw new UserError(`No columns of ${path.basename(file)} were chosen.`, 'Choose one column (1-D data) or two (2-D), by header name or number.');
  const shape = sniffCsv(file, options);
  const decimalComma = decimalCommaWith(shape.delimiter);
  const indices = wanted.map((w) => columnIndex(shape, w, file));
  const dim = indices.length;
  let values = new Float32Array(1024 * dim);
  let count = 0;
  const skipped = { count: 0, examples: [] as { line: number; reason: string }[] };
  const skip = (line: number, reason: string) => {
    skipped.count++;
    if (skipped.examples.length < EXAMPLES) skipped.examples.push({ line, reason });
  };
  let headerPending = shape.hasHeader;
  const row = new Float64Array(dim);
  const parser = new CsvParser(shape.delimiter, (fields, line) => {
    if (isBlank(fields)) return headerPending ? undefined : skip(line, 'empty row');
    if (headerPending) {
      headerPending = false;
      return;
    }
    for (const [k, i] of indices.entries()) {
      const v = toNumber(fields[i] ?? '', decimalComma);
      if (typeof v === 'string') return skip(line, `${shape.columns[i].name}: ${v}`);
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
  try {
    for await (const chunk of fs.createReadStream(file)) parser.push(decoder.write(chunk as Buffer));
  } catch (err) {
    throw cannotRead(file, err);
  }
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
