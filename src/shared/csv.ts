/**
 * A person's own 1-D or 2-D data from a CSV file. The file is streamed (a gigabyte never becomes
 * one string): an incremental RFC 4180 parser (quoted fields, "" escapes, CR, LF or CRLF line ends,
 * a UTF-8 byte-order mark) feeds records to a column reader that keeps only the chosen columns as
 * numbers. Rows that are empty, non-numeric or non-finite there are skipped and reported by line;
 * when more than a tenth of the rows with content would be skipped, the file is refused instead,
 * since a model of the rest would not describe it. Files must be UTF-8 (or ASCII), one row a line.
 *
 * Numbers are decimals (`-1.5`, `2e-3`). Thousands separators are read only where they cannot be
 * mistaken for a decimal mark:
 *  - comma-separated files use decimal points; a comma groups thousands (`"1,234.5"`, `"12,345"`,
 *    quoted as they must be there), as does a space (`1 234.5`); `"1,5"` is no number;
 *  - semicolon-separated files, as spreadsheets in many European locales save them, take decimal
 *    commas (`170,5`) as well as points; a point or a space groups thousands (`1.234,5`,
 *    `1 234,5`, `1.234.567`). A value such as `1.234` reads both ways; the rest of its column
 *    settles it: a column with decimal commas or grouping points elsewhere reads 1234, one with
 *    decimal points (`170.5`) 1.234, and one with neither or both is refused;
 *  - tab- and pipe-separated files group only with spaces: `1,234` there is refused.
 * Groups are of three digits, with one separator throughout. Units and hexadecimal are no numbers.
 * Each chosen column is checked for what float32 (what models train on) can carry: columnChecks.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { checkColumn, ColumnStats, FLOAT32_MAX } from './columnChecks';
import { UserError } from './userError';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
const EVEN_PREFERENCE: readonly Delimiter[] = ['\t', ';', '|', ','];
const SNIFF_BYTES = 64 * 1024;
const EXAMPLES = 10;
/** The column names an error lists at most (a file read wrong can seem to have thousands). */
const LISTED_COLUMNS = 20;
/** Rows with content that may be skipped before the file is refused (see readCsvColumns). */
const MAX_SKIPPED_SHARE = 0.1;

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
/** Digits in groups of three after one to three, one separator throughout, then maybe a decimal mark and digits. */
const GROUPED_NUMBER = /^([+-]?)([1-9]\d{0,2}([., \u00a0\u202f])\d{3}(?:\3\d{3})*)(?:([.,])(\d+))?$/;
/** In a semicolon file: a decimal with three decimals, or an integer with a thousands point. */
const POINT_OR_GROUP = /^[+-]?[1-9]\d{0,2}\.\d{3}$/;
const SPACES = ' \u00a0\u202f';

/** How numbers are written in a file with this delimiter (see the module comment). */
interface NumberStyle {
  decimalComma: boolean;
  /** Characters that may separate groups of thousands. */
  groupSeparators: string;
}

function numberStyle(delimiter: string): NumberStyle {
  if (delimiter === ';') return { decimalComma: true, groupSeparators: `.${SPACES}` };
  if (delimiter === ',') return { decimalComma: false, groupSeparators: `,${SPACES}` };
  return { decimalComma: false, groupSeparators: SPACES };
}

/**
 * What a field says about the role of the point in its column: only a decimal point reads it
 * (170.5), or only a thousands point (1.234,5: a decimal comma rules out a decimal point).
 */
type PointRole = 'decimal' | 'group' | undefined;

/** A field read as a number, with what it shows of the point's role, both readings if it could be either, or why it is no number. */
type Reading = { value: number; point: PointRole } | { decimal: number; grouped: number } | string;

const quoted = (t: string) => `'${t.length > 24 ? `${t.slice(0, 24)}…` : t}'`;
const THOUSANDS = 'thousands separators';
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A number written with thousands separators this style allows, or undefined. */
function withSeparators(t: string, style: NumberStyle): { value: number; point: PointRole } | undefined {
  const m = GROUPED_NUMBER.exec(t);
  if (!m) return undefined;
  const [, sign, digits, separator, mark, fraction] = m;
  if (!style.groupSeparators.includes(separator) || mark === separator || (mark === ',' && !style.decimalComma)) return undefined;
  const value = Number(`${sign}${digits.split(separator).join('')}${mark ? `.${fraction}` : ''}`);
  return { value, point: separator === '.' || mark === ',' ? 'group' : mark === '.' ? 'decimal' : undefined };
}

/** A field of a file written in this style (the rules are in the module comment). */
function read(text: string, style: NumberStyle): Reading {
  const t = text.trim();
  if (t === '') return 'empty';
  let r: { value: number; point: PointRole } | undefined;
  if (style.decimalComma && POINT_OR_GROUP.test(t)) return { decimal: Number(t), grouped: Number(t.replace('.', '')) };
  if (PLAIN_NUMBER.test(t)) r = { value: Number(t), point: t.includes('.') ? 'decimal' : undefined };
  else if (style.decimalComma && DECIMAL_COMMA_NUMBER.test(t)) r = { value: Number(t.replace(',', '.')), point: t.includes(',') ? 'group' : undefined };
  else r = withSeparators(t, style);
  if (!r) return /\d[.,\s]\d{3}(?!\d)/.test(t) ? `not a number here (${THOUSANDS}?): ${quoted(t)}` : `not a number: ${quoted(t)}`;
  if (!Number.isFinite(r.value)) return `not a finite number: ${quoted(t)}`;
  return Math.abs(r.value) > FLOAT32_MAX ? `too large for 32-bit floats (over 3.4e38): ${quoted(t)}` : r;
}

/** A field as a number (the decimal reading of an ambiguous one), or why it is not one. */
function toNumber(text: string, style: NumberStyle): number | string {
  const r = read(text, style);
  return typeof r === 'string' ? r : 'value' in r ? r.value : r.decimal;
}

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

/** A comma inside quotes: the quotes say that commas separate fields there. */
const QUOTED_COMMA = /"[^"]*,[^"]*"/;

/**
 * Records of one field each, every comma in them unquoted and inside a number with a decimal
 * comma: a single column saved where the comma is the decimal mark.
 */
function decimalCommaColumn(split: Split, text: string): boolean {
  const withCommas = split.records.filter((r) => r[0].includes(','));
  const style = numberStyle(';');
  return split.width === 1 && split.consistency === 1 && withCommas.length > 0 && !QUOTED_COMMA.test(text) && withCommas.every((r) => typeof read(r[0], style) !== 'string');
}

/**
 * The delimiter that splits every sampled row into the same number of fields (more than one); when
 * several do, tab, semicolon or pipe before comma, since commas also serve as decimal marks
 * ("170,5;60,2") while the others rarely appear inside values. A single column of decimal commas
 * (a header, then "170,5") is read as semicolon-separated, so that its commas are decimal marks
 * and not a second column. Failing that (ragged rows), the one whose most common width is widest
 * and most common.
 */
function chooseSplit(splits: Split[], text: string): Split {
  const even = splits.filter((s) => s.width > 1 && s.consistency === 1);
  if (even.length) return EVEN_PREFERENCE.map((d) => even.find((s) => s.delimiter === d)).find((s) => s !== undefined)!;
  const semicolon = splits.find((s) => s.delimiter === ';');
  if (semicolon && decimalCommaColumn(semicolon, text)) return semicolon;
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
  const { delimiter, records } = options.delimiter ? split(start, options.delimiter) : chooseSplit(DELIMITERS.map((d) => split(start, d)), start.text);
  if (!records.length) throw new UserError(`${path.basename(file)} is empty.`, 'Choose a CSV file with a header row and rows of numbers.');
  if (!/[\r\n]/.test(start.text)) {
    throw new UserError(
      `${path.basename(file)} has no line break${start.whole ? '' : ' in its first 64 KB'}: it reads as one row of ${plural(records[0].length, 'field')}, not as a table.`,
      'A CSV file holds one row per line: a header naming the columns, then a row of numbers for each data point. Save it again as CSV from the program that made it.',
    );
  }
  const style = numberStyle(delimiter);
  const isNumber = (f: string | undefined) => typeof toNumber(f ?? '', style) === 'number';
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
  const named = (same: (name: string) => boolean) => shape.columns.filter((c) => same(c.name));
  const matches = [named((n) => n === wanted), named((n) => n.toLowerCase() === wanted.toLowerCase())].find((m) => m.length);
  if (matches && matches.length > 1) {
    const at = matches.map((c) => c.index);
    throw new UserError(
      `${path.basename(file)} has ${matches.length} columns named "${wanted}": columns ${at.slice(0, -1).join(', ')} and ${at.at(-1)}.`,
      `Rename one of them in the header, or choose the column by its number (${at.join(' or ')}).`,
    );
  }
  if (matches) return matches[0].index - 1;
  const n = Number(wanted);
  if (Number.isInteger(n) && n >= 1 && n <= shape.columns.length) return n - 1;
  const names = shape.columns.slice(0, LISTED_COLUMNS).map((c) => c.name);
  const more = shape.columns.length - names.length;
  throw new UserError(
    `${path.basename(file)} has no column "${wanted}".`,
    `Its columns: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''} (or their numbers, 1 to ${shape.columns.length}).`,
  );
}

/** The chosen columns' positions; the same column chosen twice would make a density on a line. */
function columnIndices(shape: CsvShape, wanted: string[], file: string): number[] {
  const indices = wanted.map((w) => columnIndex(shape, w, file));
  indices.forEach((i, k) => {
    const first = indices.indexOf(i);
    if (first < k) {
      throw new UserError(
        `Column ${i + 1} of ${path.basename(file)} (${shape.columns[i].name}) is chosen twice, as "${wanted[first]}" (choice ${first + 1}) and "${wanted[k]}" (choice ${k + 1}).`,
        'Choose two different columns for 2-D data, or one for 1-D.',
      );
    }
  });
  return indices;
}

interface Example {
  line: number;
  text: string;
}

/**
 * One chosen column as it is read: its statistics, and, in semicolon files, the values that read
 * both as decimals and with a thousands point ("1.234"), with what the rest of the column says
 * the point is, so that they can be settled once the whole column has been seen.
 */
class ColumnReader {
  private readonly stats = new ColumnStats();
  private readonly decimalReadings = new ColumnStats();
  private readonly groupedReadings = new ColumnStats();
  /** Where ambiguous values sit in the points, and their readings with a thousands point. */
  private readonly ambiguousAt: number[] = [];
  private readonly groupedValues: number[] = [];
  private firstAmbiguous?: Example;
  private readonly pointSeen: Partial<Record<'decimal' | 'group', Example>> = {};

  constructor(readonly name: string) {}

  /** Takes a kept row's reading; returns the value to store now (the decimal reading, for an ambiguous one). */
  keep(r: Exclude<Reading, string>, at: number, line: number, text: string): number {
    if ('value' in r) {
      this.stats.add(r.value);
      if (r.point) this.pointSeen[r.point] ??= { line, text: text.trim() };
      return r.value;
    }
    this.decimalReadings.add(r.decimal);
    this.groupedReadings.add(r.grouped);
    this.ambiguousAt.push(at);
    this.groupedValues.push(r.grouped);
    this.firstAmbiguous ??= { line, text: text.trim() };
    return r.decimal;
  }

  /** Settles the ambiguous values in `points` and checks the column; throws a UserError naming the fix. */
  finish(points: Float32Array, file: string): void {
    let stats = this.stats;
    if (this.firstAmbiguous) {
      const { decimal, group } = this.pointSeen;
      const example = quoted(this.firstAmbiguous.text);
      if (decimal && !group) stats = stats.merged(this.decimalReadings);
      else if (group && !decimal) {
        this.ambiguousAt.forEach((at, j) => (points[at] = this.groupedValues[j]));
        stats = stats.merged(this.groupedReadings);
      } else {
        throw new UserError(
          `${this.name} in ${file} has values such as ${example} (line ${this.firstAmbiguous.line}) that read both as a decimal and with a thousands point, and ${
            decimal && group
              ? `the column uses the point both ways: as a decimal point (line ${decimal.line}: ${quoted(decimal.text)}) and between thousands or beside a decimal comma (line ${group.line}: ${quoted(group.text)})`
              : 'no other value in the column shows which the point is'
          }.`,
          'Save the column without thousands separators (in a spreadsheet, format its cells as numbers without the 1000 separator), or save the file comma-separated with decimal points.',
        );
      }
    }
    checkColumn(stats, this.name, file);
  }
}

/** What to do about skipped rows, from the reasons they were skipped for. */
function skippedFix(skipped: CsvPoints['skipped']): string {
  if (skipped.examples.some((e) => e.reason.includes(THOUSANDS))) {
    return 'Write the numbers without thousands separators (in a spreadsheet, format the cells as numbers without the 1000 separator); comma-separated files may quote them with comma groups ("1,234.5"), semicolon-separated ones may group with points or spaces (1.234,5 or 1 234,5).';
  }
  return 'Fix or remove those rows in the file, or choose columns that hold a number in nearly every row.';
}

/**
 * Streams `file` and keeps the chosen columns (header names or 1-based numbers) as rows of
 * numbers. Memory holds the numbers kept, not the file. Refuses files where more than
 * MAX_SKIPPED_SHARE of the rows have no number in a chosen column (a model of the rest would not
 * be a model of the file: rows with values over 999 written with thousands separators, say), and
 * columns that float32 cannot carry (see columnChecks.ts).
 */
export async function readCsvColumns(file: string, wanted: string[], options: SniffOptions = {}): Promise<CsvPoints> {
  if (!wanted.length) throw new UserError(`No columns of ${path.basename(file)} were chosen.`, 'Choose one column (1-D data) or two (2-D), by header name or number.');
  const shape = sniffCsv(file, options);
  const style = numberStyle(shape.delimiter);
  const indices = columnIndices(shape, wanted, file);
  const readers = indices.map((i) => new ColumnReader(shape.columns[i].name));
  const dim = indices.length;
  let values = new Float32Array(1024 * dim);
  let count = 0;
  const skipped = { count: 0, examples: [] as { line: number; reason: string }[] };
  let blankRows = 0;
  const skip = (line: number, reason: string) => {
    skipped.count++;
    if (skipped.examples.length < EXAMPLES) skipped.examples.push({ line, reason });
  };
  let headerPending = shape.hasHeader;
  const readings: Exclude<Reading, string>[] = [];
  const parser = new CsvParser(shape.delimiter, (fields, line) => {
    if (isBlank(fields)) {
      if (headerPending) return;
      blankRows++;
      return skip(line, 'empty row');
    }
    if (headerPending) {
      headerPending = false;
      return;
    }
    for (const [k, i] of indices.entries()) {
      const r = read(fields[i] ?? '', style);
      if (typeof r === 'string') return skip(line, `${shape.columns[i].name}: ${r}`);
      readings[k] = r;
    }
    if (count * dim + dim > values.length) {
      const grown = new Float32Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    for (const [k, i] of indices.entries()) values[count * dim + k] = readers[k].keep(readings[k], count * dim + k, line, fields[i]);
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
  const name = path.basename(file);
  const minimum = dim + 2;
  const firstSkipped = skipped.examples.find((e) => e.reason !== 'empty row') ?? skipped.examples[0];
  if (count < minimum) {
    throw new UserError(
      `${name} has ${plural(count, 'usable row')} in ${wanted.join(', ')}${skipped.count ? ` (${skipped.count} skipped, e.g. line ${firstSkipped.line}: ${firstSkipped.reason})` : ''}.`,
      `A density in ${dim}-D needs at least ${minimum} rows of numbers: ${dim + 1} (dimensions + 1) to fit it and one held out to test it. ${skipped.count > blankRows ? skippedFix(skipped) : 'Check the columns chosen and the file.'}`,
    );
  }
  const dropped = skipped.count - blankRows;
  if (dropped > MAX_SKIPPED_SHARE * (count + dropped)) {
    const shown = skipped.examples.filter((e) => e.reason !== 'empty row').slice(0, 3).map((e) => `line ${e.line} (${e.reason})`);
    throw new UserError(
      `${dropped} of the ${count + dropped} rows of ${name} (${Math.round((100 * dropped) / (count + dropped))}%) have no usable number in ${wanted.join(', ')}, e.g. ${shown.join(', ')}. A model of the other rows would not describe the file, so nothing is trained (at most a tenth of the rows may be left out).`,
      skippedFix(skipped),
    );
  }
  const points = values.slice(0, count * dim);
  for (const reader of readers) reader.finish(points, name);
  return { points, count, dim, columns: readers.map((r) => r.name), skipped };
}

/** A one-line report of skipped rows: the first few by line, then a count. */
export function describeSkipped(s: CsvPoints['skipped']): string | undefined {
  if (!s.count) return undefined;
  const shown = s.examples.slice(0, 3).map((e) => `line ${e.line} (${e.reason})`);
  return `Skipped ${s.count} row${s.count === 1 ? '' : 's'}: ${shown.join(', ')}${s.count > shown.length ? `, and ${s.count - shown.length} more` : ''}.`;
}
