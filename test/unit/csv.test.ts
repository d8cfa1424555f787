import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CsvParser, describeSkipped, readCsvColumns, sniffCsv } from '../../src/shared/csv';
import { csvDataset } from '../../src/trainer/data/csvDataset';
import { UserError } from '../../src/shared/userError';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-csv-'));
const file = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
/** `n` rows of distinct plain numbers, to keep a few bad rows under the share that may be skipped. */
const goodRows = (n: number, columns = 1) => Array.from({ length: n }, (_, i) => Array.from({ length: columns }, (_, c) => `${100 + i + c * 0.5}`).join(',')).join('\n') + '\n';
const userError = (message: RegExp, hint?: RegExp) => (e: unknown) => e instanceof UserError && message.test(e.message) && (!hint || hint.test(e.hint));

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
  const text = '\ufeffname,"note, with comma",x\r\n"a ""quoted"" word","two\r\nlines",1.5\rlast,,2\n"",""""\nno newline at the end,3';
  const expected = [
    { fields: ['name', 'note, with comma', 'x'], line: 1 },
    // The CRLF inside the quotes is kept and counts as one line break.
    { fields: ['a "quoted" word', 'two\r\nlines', '1.5'], line: 2 },
    { fields: ['last', '', '2'], line: 4 },
    { fields: ['', '"'], line: 5 },
    { fields: ['no newline at the end', '3'], line: 6 },
  ];
  assert.deepEqual(parse(text), expected);
  // Every split point, including inside "" and between \r and \n, gives the same records.
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(parse(text, [cut]), expected, `split at ${cut}`);
});

test('sniffing finds the delimiter, the header and which columns are numbers', () => {
  const shape = sniffCsv(file('semi.csv', 'height;sex;weight\n170.5;f;60\n182;m;81\n165;f;\n'));
  assert.equal(shape.delimiter, ';');
  assert.equal(shape.hasHeader, true);
  assert.deepEqual(shape.columns.map((c) => [c.name, c.index, c.numericShare]), [['height', 1, 1], ['sex', 2, 0], ['weight', 3, 2 / 3]]);
  const bare = sniffCsv(file('bare.tsv', '1\t2\n3\t4\n5\t6\n'));
  assert.deepEqual([bare.delimiter, bare.hasHeader], ['\t', false]);
  assert.deepEqual(bare.columns.map((c) => c.name), ['column 1', 'column 2']);
  // Tab wins over commas that sit inside a text column.
  assert.equal(sniffCsv(file('names.tsv', 'name\tx\nSmith, J\t1\nDoe, A\t2\n')).delimiter, '\t');
  assert.equal(sniffCsv(file('pipe.csv', 'a|b\n1|2\n3|4\n')).delimiter, '|');
  // Ragged rows (a trailing delimiter on one): the most common width still decides.
  assert.equal(sniffCsv(file('ragged.csv', 'x,y\n1,2\n3,4,\n5,6\n7,8\n')).delimiter, ',');
  // A single column: no delimiter splits it, and the header still shows.
  assert.deepEqual(sniffCsv(file('single.csv', 'h\n170\n180\n')).columns.map((c) => c.name), ['h']);
});

test('sniffing: the header of a file with no data rows yet, of a file with only text, and overrides', () => {
  assert.equal(sniffCsv(file('only-header.csv', 'height,weight\n')).hasHeader, true);
  const words = sniffCsv(file('words.csv', 'name,city\nann,oslo\nbob,rome\n'));
  assert.equal(words.hasHeader, true);
  assert.deepEqual(words.columns.map((c) => [c.name, c.numericShare]), [['name', 0], ['city', 0]]);
  const forced = sniffCsv(file('forced.csv', 'a;b\n1;2\n'), { delimiter: ',', hasHeader: false });
  assert.deepEqual([forced.delimiter, forced.hasHeader, forced.columns.length], [',', false, 1]);
});

test('semicolon files with decimal commas, as European spreadsheets save them, read as numbers', async () => {
  // Every value has a decimal comma, so commas split every row evenly too: the semicolon must still win.
  const headed = file('euro.csv', 'Größe;Gewicht\r\n170,5;60,2\r\n182,0;81,4\r\n-1,5e2;,5\r\n165;70\r\n');
  const shape = sniffCsv(headed);
  assert.deepEqual([shape.delimiter, shape.hasHeader], [';', true]);
  const r = await readCsvColumns(headed, ['Größe', 'gewicht']);
  assert.deepEqual(Array.from(r.points), [170.5, 60.2, 182, 81.4, -150, 0.5, 165, 70].map(Math.fround));
  assert.equal(sniffCsv(file('euro-bare.csv', '170,5;60,2\n182,1;81,4\n')).delimiter, ';');
  // With commas as delimiters, a quoted "1,5" is text, not one and a half.
  const us = await readCsvColumns(file('us.csv', `x\n"1,5"\n${goodRows(20)}`), ['x']);
  assert.deepEqual(us.skipped.examples, [{ line: 2, reason: "x: not a number: '1,5'" }]);
});

test('reading columns: BOM, CRLF, quotes, missing and text values, huge numbers; skipped rows reported by line', async () => {
  const text = [
    '\ufeffx,y,label',
    '1,2,a',
    ',3,b', // missing x
    '4,abc,c', // text in y
    '5,1e400,d', // overflows a double
    '6,1e308,e', // a finite double, but infinite as float32
    '"7","3e15","quoted numbers are numbers"',
    '', // empty row
    '  8 , -2.5e-3 ,spaces around',
    '9,0x1A,hex is not decimal',
    '10,NaN,x',
    '11,12,"multi',
    'line"',
    '13,Infinity,z',
    '14,15,',
  ].join('\r\n');
  // 80 good rows after them keep the 7 bad ones under a tenth.
  const r = await readCsvColumns(file('mixed.csv', `${text}\r\n${goodRows(80, 2)}`), ['x', 'y']);
  assert.deepEqual(r.columns, ['x', 'y']);
  assert.equal(r.dim, 2);
  assert.deepEqual(Array.from(r.points.subarray(0, 10)), [1, 2, 7, 3e15, 8, -2.5e-3, 11, 12, 14, 15].map(Math.fround));
  assert.equal(r.count, 85);
  assert.ok(r.points.every(Number.isFinite));
  assert.deepEqual(r.skipped.examples, [
    { line: 3, reason: 'x: empty' },
    { line: 4, reason: "y: not a number: 'abc'" },
    { line: 5, reason: "y: not a finite number: '1e400'" },
    { line: 6, reason: "y: too large for 32-bit floats (over 3.4e38): '1e308'" },
    { line: 8, reason: 'empty row' },
    { line: 10, reason: "y: not a number: '0x1A'" },
    { line: 11, reason: "y: not a number: 'NaN'" },
    // Line 12 starts a record that runs over two lines, so the next one is on line 14.
    { line: 14, reason: "y: not a number: 'Infinity'" },
  ]);
  assert.equal(r.skipped.count, 8);
  assert.equal(describeSkipped(r.skipped), "Skipped 8 rows: line 3 (x: empty), line 4 (y: not a number: 'abc'), line 5 (y: not a finite number: '1e400'), and 5 more.");
  assert.equal(describeSkipped({ count: 0, examples: [] }), undefined);
});

test('only the first ten skipped rows are kept as examples; the count covers all', async () => {
  const rows = Array.from({ length: 300 }, (_, i) => (i % 20 ? `${i}` : 'n/a'));
  const r = await readCsvColumns(file('many-bad.csv', `v\n${rows.join('\n')}\n`), ['v']);
  assert.equal(r.count, 285);
  assert.equal(r.skipped.count, 15);
  assert.equal(r.skipped.examples.length, 10);
  assert.deepEqual(r.skipped.examples[9], { line: 182, reason: "v: not a number: 'n/a'" });
});

test('columns by number when there is no header; blank lines before the header are not data', async () => {
  const bare = await readCsvColumns(file('bare.csv', '1.5,10\n2.5,20\n3.5,30\n4.5,15\n'), ['2', '1']);
  assert.deepEqual(Array.from(bare.points), [10, 1.5, 20, 2.5, 30, 3.5, 15, 4.5]);
  assert.deepEqual(bare.columns, ['column 2', 'column 1']);
  const late = await readCsvColumns(file('late-header.csv', '\n\nh\n1\n2\n3\n'), ['h']);
  assert.deepEqual([late.count, late.skipped.count], [3, 0]);
});

test('bad choices and bad files get errors naming the fix', async () => {
  const p = file('heights.csv', 'height,sex\n170,f\n180,m\n');
  await assert.rejects(readCsvColumns(p, ['weight']), userError(/has no column "weight"/, /height, sex/));
  await assert.rejects(readCsvColumns(p, ['3']), userError(/has no column "3"/, /1 to 2/));
  await assert.rejects(readCsvColumns(p, []), userError(/No columns/, /one column/));
  await assert.rejects(readCsvColumns(p, ['sex']), userError(/0 usable rows in sex \(2 skipped, e\.g\. line 2: sex: not a number: 'f'\)/, /at least 3 rows of numbers: 2 \(dimensions \+ 1\) to fit it and one held out/));
  await assert.rejects(readCsvColumns(file('one.csv', 'h\n170\n'), ['h']), userError(/1 usable row in h\./));
  await assert.rejects(readCsvColumns(file('three.csv', 'x,y\n1,2\n2,1\n3,5\n'), ['x', 'y']), userError(/3 usable rows in x, y\./, /2-D needs at least 4 rows/));
  await assert.rejects(readCsvColumns(path.join(dir, 'nope.csv'), ['h']), userError(/Cannot read .*nope\.csv \(ENOENT\)/));
  await assert.rejects(readCsvColumns(dir, ['h']), userError(/Cannot read .* \(EISDIR\)/));
  assert.throws(() => sniffCsv(file('empty.csv', '\n\n')), userError(/empty/));
  // A spreadsheet workbook (a zip) and a UTF-16 export both hold zero bytes.
  assert.throws(() => sniffCsv(file('book.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0]))), userError(/not a UTF-8 text file/, /Save it as CSV/));
  assert.throws(() => sniffCsv(file('utf16.csv', Buffer.from('\ufeffh\n1\n2\n', 'utf16le'))), userError(/not a UTF-8 text file/));
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
  // The range is 49.5: a tenth of it on each side, and the unused y range of 1-D data as toy.ts has it.
  assert.deepEqual(data.extent.map((v) => Math.round(v * 100) / 100), [145.05, 204.45, 0, 1]);
  assert.deepEqual(csvDataset('h100.csv', r).test.points, data.test.points, 'the same file splits the same way');

  const two = csvDataset('xy.csv', await readCsvColumns(file('xy.csv', 'x,y\n0,10\n1,30\n0.5,20\n0.25,15\n'), ['x', 'y']));
  assert.deepEqual([two.dim, two.train.count, two.test.count], [2, 3, 1]);
  assert.deepEqual(two.extent, [-0.1, 1.1, 8, 32]);
  // readCsvColumns refuses a column of one value; csvDataset still gives one a range.
  const constant = csvDataset('c.csv', { points: Float32Array.of(5, 5, 5), count: 3, dim: 1, columns: ['v'], skipped: { count: 0, examples: [] } });
  assert.ok(constant.extent[0] < 5 && constant.extent[1] > 5, 'a column of one value still gets a range');
  assert.throws(() => csvDataset('xyz.csv', { points: new Float32Array(6), count: 2, dim: 3, columns: ['a', 'b', 'c'], skipped: { count: 0, examples: [] } }), userError(/one or two columns, not 3/));
});

test('large files stream: the heap stays far below the file size', async () => {
  const p = path.join(dir, 'big.csv');
  const fd = fs.openSync(p, 'w');
  fs.writeSync(fd, 'x,y,comment\n');
  const block = Array.from({ length: 10000 }, (_, i) => `${(i % 97) * 1.37},${i % 13}.5,"some text, quoted, to make the file bigger"`).join('\n') + '\n';
  for (let i = 0; i < 90; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const size = fs.statSync(p).size;
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const r = await readCsvColumns(p, ['x', 'y']);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  fs.rmSync(p);
  assert.equal(r.count, 900000);
  assert.deepEqual(Array.from(r.points.subarray(2, 4)), [1.37, 1.5].map(Math.fround));
  assert.ok(size > 50e6, `the file is ${size} bytes`);
  // The file as one string would take its size in heap (one byte per character) on top of the records.
  assert.ok(peak - before < size / 4, `heap grew ${peak - before} bytes reading a ${size}-byte file`);
});

const column = async (name: string, text: string, wanted = ['v']) => Array.from((await readCsvColumns(file(name, text), wanted)).points);

test('thousands separators in comma files: comma or space groups (quoted where commas would split), decimal points', async () => {
  assert.deepEqual(await column('grouped.csv', 'v,n\n"1,234.5",1\n"12,345",2\n1 234.5,3\n"1,234,567.25",4\n999,5\n"-1,000",6\n'), [1234.5, 12345, 1234.5, 1234567.25, 999, -1000].map(Math.fround));
  // Not groups of three, a leading zero, or a decimal comma: no numbers in a comma file.
  const r = await readCsvColumns(file('not-grouped.csv', `v\n"1,5"\n"12,34"\n"0,123"\n"1,234,5"\n${goodRows(40)}`), ['v']);
  assert.deepEqual(r.skipped.examples.map((e) => e.reason), ["v: not a number: '1,5'", "v: not a number: '12,34'", "v: not a number here (thousands separators?): '0,123'", "v: not a number here (thousands separators?): '1,234,5'"]);
});

test('a spreadsheet export with thousands separators on the larger values is read whole, not 89% dropped', async () => {
  // Values from 100 to 10,000: 89% of them are 1,000 or more and so carry a separator.
  const values = Array.from({ length: 500 }, (_, i) => 100 + i * 17);
  const grouped = (v: number, separator: string, mark: string) => {
    const [int, frac] = v.toFixed(1).split('.');
    return `${int.replace(/\B(?=(\d{3})+$)/g, separator)}${mark}${frac}`;
  };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  for (const [name, text] of [
    ['us.csv', `amount\n${values.map((v) => (v >= 1000 ? `"${grouped(v, ',', '.')}"` : grouped(v, ',', '.'))).join('\n')}\n`],
    ['de.csv', `Betrag;n\n${values.map((v, i) => `${grouped(v, '.', ',')};${i}`).join('\n')}\n`],
    ['fr.csv', `montant;n\n${values.map((v, i) => `${grouped(v, '\u202f', ',')};${i}`).join('\n')}\n`],
  ]) {
    const r = await readCsvColumns(file(name, text), ['1']);
    assert.deepEqual([r.count, r.skipped.count], [500, 0], name);
    const got = Array.from(r.points).reduce((s, v) => s + v, 0) / r.count;
    assert.ok(Math.abs(got - mean) < 1e-3, `${name}: mean ${got}, expected ${mean}`);
  }
  // Tab-separated, "1,234.5" could only be guessed at: the file is refused, with the hint.
  const tsv = `amount\tn\n${values.map((v, i) => `${grouped(v, ',', '.')}\t${i}`).join('\n')}\n`;
  await assert.rejects(
    readCsvColumns(file('grouped.tsv', tsv), ['amount']),
    userError(/^447 of the 500 rows of grouped\.tsv \(89%\) have no usable number in amount, e\.g\. line 55 \(amount: not a number here \(thousands separators\?\): '1,001\.0'\)/, /without thousands separators.*"1,234\.5".*1\.234,5 or 1 234,5/),
  );
});

test('semicolon files: points or spaces group thousands beside a decimal comma; "1.234" is settled by its column', async () => {
  // A second column, so that the semicolon is what splits every row evenly.
  assert.deepEqual(await column('eu.csv', 'v;n\n1.234,5;1\n1 234,5;2\n1\u00a0234,5;3\n1.234.567;4\n170,5;5\n-2.000,25;6\n'), [1234.5, 1234.5, 1234.5, 1234567, 170.5, -2000.25].map(Math.fround));
  // Decimal commas elsewhere in the column: the point groups thousands.
  assert.deepEqual(await column('eu-ints.csv', 'v;n\n1.234;1\n170,5;2\n12.345;3\n'), [1234, 170.5, 12345]);
  // Decimal points elsewhere: it is a decimal point.
  assert.deepEqual(await column('points.csv', 'v;w\n1.234;a\n170.5;b\n12.345;c\n'), [1.234, 170.5, 12.345].map(Math.fround));
  // Each column is settled on its own.
  assert.deepEqual(await column('two.csv', 'a;b\n1.234;1.234\n170,5;170.5\n2;3\n4;7\n', ['a', 'b']), [1234, 1.234, 170.5, 170.5, 2, 3, 4, 7].map(Math.fround));
  await assert.rejects(readCsvColumns(file('unsettled.csv', 'v;n\n1.234;1\n5;2\n12.345;3\n'), ['v']), userError(/v in unsettled\.csv has values such as '1\.234' \(line 2\) that read both as a decimal and with a thousands point, and no other value in the column shows which/, /without thousands separators/));
  await assert.rejects(
    readCsvColumns(file('both.csv', 'v;n\n1.234;1\n170.5;2\n170,5;3\n'), ['v']),
    userError(/the column uses the point both ways: as a decimal point \(line 3: '170\.5'\) and between thousands or beside a decimal comma \(line 4: '170,5'\)/),
  );
  // One column of decimal commas has no delimiter to find: its commas are decimal marks, not a second column.
  const single = await readCsvColumns(file('one-column.csv', 'Größe\n170,5\n182,25\n1.234,5\n165\n'), ['Größe']);
  assert.deepEqual([single.columns, Array.from(single.points)], [['Größe'], [170.5, 182.25, 1234.5, 165]]);
  // Mixed marks without an ambiguous value read as they always did.
  assert.deepEqual(await column('mixed-marks.csv', 'v;n\n170.5;1\n170,25;2\n3;3\n'), [170.5, 170.25, 3]);
});

test('a column name given twice, or a column chosen twice, is an error naming both positions', async () => {
  const p = file('twice.csv', 'x,y,x\n1,2,3\n4,5,6\n7,8,10\n2,1,1\n');
  await assert.rejects(readCsvColumns(p, ['x']), userError(/twice\.csv has 2 columns named "x": columns 1 and 3\./, /choose the column by its number \(1 or 3\)/));
  assert.deepEqual(Array.from((await readCsvColumns(p, ['3'])).points), [3, 6, 10, 1]);
  await assert.rejects(readCsvColumns(p, ['y', '2']), userError(/Column 2 of twice\.csv \(y\) is chosen twice, as "y" \(choice 1\) and "2" \(choice 2\)/, /two different columns/));
  await assert.rejects(readCsvColumns(file('case.csv', 'X,x\n1,2\n3,4\n5,7\n'), ['X', 'X']), userError(/chosen twice/));
});

test('a file with no line break says so; a wide file lists only its first column names', async () => {
  const row = Array.from({ length: 20000 }, (_, i) => `${i}.5`).join(',');
  assert.throws(() => sniffCsv(file('one-line.csv', row)), userError(/one-line\.csv has no line break in its first 64 KB: it reads as one row of \d{4,5} fields, not as a table/, /one row per line/));
  assert.throws(() => sniffCsv(file('short-line.csv', '1;2;3')), userError(/has no line break: it reads as one row of 3 fields/));
  const header = Array.from({ length: 100 }, (_, i) => `c${i}`).join(',');
  const err = await readCsvColumns(file('wide.csv', `${header}\n${header.replace(/c/g, '')}\n`), ['nope']).catch((e: UserError) => e);
  assert.ok(err instanceof UserError);
  assert.match(err.hint, /^Its columns: c0, c1, .*, c19 and 80 more \(or their numbers, 1 to 100\)\.$/);
});

test('more than a tenth of the rows skipped stops the read and says why; blank lines do not count', async () => {
  const rows = (bad: number) => Array.from({ length: 100 }, (_, i) => (i < bad ? 'n/a' : `${i}`)).join('\n\n');
  const ten = await readCsvColumns(file('ten.csv', `v\n${rows(10)}\n`), ['v']);
  assert.deepEqual([ten.count, ten.skipped.count], [90, 10 + 99]);
  await assert.rejects(
    readCsvColumns(file('fifteen.csv', `v\n${rows(15)}\n`), ['v']),
    userError(/^15 of the 100 rows of fifteen\.csv \(15%\) have no usable number in v, e\.g\. line 2 \(v: not a number: 'n\/a'\), line 4 .*, line 6 .*\. A model of the other rows would not describe the file/, /Fix or remove those rows/),
  );
});

test('columns that 32-bit floats cannot carry are refused with the column, the file and the fix', async () => {
  const rows = (f: (i: number) => string) => `v\n${Array.from({ length: 50 }, (_, i) => f(i)).join('\n')}\n`;
  const refused = (name: string, text: string, message: RegExp, hint: RegExp) => assert.rejects(readCsvColumns(file(name, text), ['v']), userError(message, hint));
  await refused('constant.csv', rows(() => '5'), /^v in constant\.csv holds one value, 5, in all 50 rows/, /whose values vary/);
  await refused('wide.csv', rows((i) => `${(i - 25) * 1e19}`), /^v in wide\.csv is spread too widely for 32-bit floats: its standard deviation, 1\.443e20,/, /Divide the column by 1e20/);
  await refused('narrow.csv', rows((i) => `${i * 1e-21}`), /^v in narrow\.csv varies too little for 32-bit floats: its standard deviation, 1\.443e-20,/, /Multiply the column by 1e20/);
  await refused('subnormal.csv', rows((i) => `${(i % 5) * 1e-42}`), /varies too little for 32-bit floats/, /Multiply the column by 1e42/);
  await refused('offset.csv', rows((i) => `${1e9 + (i % 7)}`), /^v in offset\.csv varies by 2\.024 around 1e9: 32-bit floats keep about 7 significant digits/, /Subtract a round number near 1e9/);
  // A large offset with a spread float32 still resolves is fine.
  assert.equal((await readCsvColumns(file('offset-ok.csv', rows((i) => `${1e6 + i * 37}`)), ['v'])).count, 50);
});
