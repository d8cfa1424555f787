import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CsvParser, csvDataset, describeSkipped, readCsvColumns, sniffCsv } from '../../src/trainer/data/csv';
import { UserError } from '../../src/trainer/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-csv-'));
const file = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

function parse(text: string, chunks = [text.length]): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const parser = new CsvParser(',', (fields, line) => out.push({ fields, line }));
  let at = 0;
  for (const n of chunks) {
    parser.push(text.slice(at, at + n));
    at += n;
  }
  parser.push(text.slice(at));
  parser.end();
  return out;
}

test('the parser: quoted fields with delimiters, "" escapes and line breaks; CR, LF and CRLF; a BOM; any chunking', () => {
  const text = '\ufeffname,"note, with comma",x\r\n"a ""quoted"" word","two\nlines",1.5\rlast,,2\n';
  const expected = [
    { fields: ['name', 'note, with comma', 'x'], line: 1 },
    { fields: ['a "quoted" word', 'two\nlines', '1.5'], line: 2 },
    { fields: ['last', '', '2'], line: 4 },
  ];
  assert.deepEqual(parse(text), expected);
  // Every split point, including inside "" and between \r and \n, gives the same records.
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(parse(text, [cut]), expected, `split at ${cut}`);
});

test('sniffing finds the delimiter, the header and which columns are numbers', () => {
  const shape = sniffCsv(file('semi.csv', 'height;sex;weight\n170.5;f;60\n182;m;81\n165;f;\n'));
  assert.equal(shape.delimiter, ';');
  assert.equal(shape.hasHeader, true);
  assert.deepEqual(shape.columns.map((c) => [c.name, c.numericShare]), [['height', 1], ['sex', 0], ['weight', 2 / 3]]);
  const bare = sniffCsv(file('bare.tsv', '1\t2\n3\t4\n5\t6\n'));
  assert.equal(bare.delimiter, '\t');
  assert.equal(bare.hasHeader, false);
  assert.deepEqual(bare.columns.map((c) => c.name), ['column 1', 'column 2']);
});

test('reading columns: missing, text and non-finite values are skipped and reported by line; huge finite numbers are kept', async () => {
  const p = file('mixed.csv', 'x,y,label\n1,2,a\n,3,b\n4,abc,c\n5,1e400,d\n6,1e300,e\n\n7,8,f\n');
  const r = await readCsvColumns(p, ['x', 'y']);
  assert.equal(r.count, 3);
  assert.deepEqual(Array.from(r.points.subarray(0, 2)), [1, 2]);
  assert.equal(r.points[3], Infinity, '1e300 is finite as a double; in float32 it overflows: values beyond ±3.4e38 cannot train anyway');
  assert.deepEqual(r.skipped.examples, [
    { line: 3, reason: 'x: empty' },
    { line: 4, reason: "y: not a number: 'abc'" },
    { line: 5, reason: "y: not a finite number: '1e400'" },
    { line: 7, reason: 'empty row' },
  ]);
  assert.equal(describeSkipped(r.skipped), "Skipped 4 rows: line 3 (x: empty), line 4 (y: not a number: 'abc'), line 5 (y: not a finite number: '1e400'), and 1 more.");
});

test('bad choices get errors naming the fix: an unknown column, a column of text, too few rows, a missing file', async () => {
  const p = file('heights.csv', 'height,sex\n170,f\n180,m\n');
  await assert.rejects(readCsvColumns(p, ['weight']), (e: unknown) => e instanceof UserError && /has no column "weight"/.test(e.message) && /height, sex/.test(e.hint));
  await assert.rejects(readCsvColumns(p, ['sex']), (e: unknown) => e instanceof UserError && /0 usable rows/.test(e.message) && /not a number: 'f'/.test(e.message));
  await assert.rejects(readCsvColumns(file('one.csv', 'h\n170\n'), ['h']), (e: unknown) => e instanceof UserError && /1 usable row /.test(e.message));
  await assert.rejects(readCsvColumns(path.join(dir, 'nope.csv'), ['h']), (e: unknown) => e instanceof UserError && /Cannot read/.test(e.message));
  const byNumber = await readCsvColumns(p, ['1']);
  assert.deepEqual(Array.from(byNumber.points), [170, 180]);
});

test('a dataset from CSV rows: a fixed tenth held out, an extent around the data', async () => {
  const rows = Array.from({ length: 100 }, (_, i) => `${150 + i * 0.5}`).join('\n');
  const r = await readCsvColumns(file('h100.csv', `height\n${rows}\n`), ['height']);
  const data = csvDataset('h100.csv', r);
  assert.equal(data.dim, 1);
  assert.equal(data.test.count, 10);
  assert.equal(data.train.count, 90);
  const all = [...data.train.points, ...data.test.points].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from(r.points).sort((a, b) => a - b), 'the split loses and repeats nothing');
  assert.ok(data.extent[0] < 150 && data.extent[1] > 199.5);
  assert.deepEqual(csvDataset('h100.csv', r).test.points, data.test.points, 'the same file splits the same way');
});

test('large files stream: memory stays far below the file size', async () => {
  const p = path.join(dir, 'big.csv');
  const fd = fs.openSync(p, 'w');
  fs.writeSync(fd, 'x,y,comment\n');
  const block = Array.from({ length: 10000 }, (_, i) => `${i % 97}.25,${i % 13}.5,"some text, quoted"`).join('\n') + '\n';
  for (let i = 0; i < 70; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const size = fs.statSync(p).size;
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const r = await readCsvColumns(p, ['x', 'y']);
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(r.count, 700000);
  assert.ok(size > 20e6, `the file is ${size} bytes`);
  assert.ok(grown < size / 2, `heap grew ${grown} bytes reading a ${size}-byte file`);
});
