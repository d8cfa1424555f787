/**
 * Reading JSON and JSON-lines files through decoders: each problem names its file, its line and
 * what is wrong, and the rest of the file still reads, so one damaged line never hides a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Decoder } from '../protocol/decode';
import { decodeProblem } from '../protocol/runFormat';

export interface FileProblem {
  file: string;
  /** 1-based; absent when the problem is the file's as a whole, or a field of it. */
  line?: number;
  problem: string;
}

/** "metrics.jsonl:3: values.loss: expected a finite number, got "x"", the path relative to `base` when given. */
export function problemText(p: FileProblem, base?: string): string {
  const file = base ? path.relative(base, p.file) || path.basename(p.file) : p.file;
  return `${file}${p.line ? `:${p.line}` : ''}: ${p.problem}`;
}

/** JSON.parse's message, with the line its position falls on. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; line?: number; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A file cut off (the commonest damage) ends on its last line, which V8's message does not say.
    const position = /at position (\d+)/.exec(message)?.[1] ?? (/end of JSON input/.test(message) ? text.trimEnd().length : undefined);
    const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
    return { ok: false, ...(line ? { line } : {}), problem: `not valid JSON (${message})` };
  }
}

/** A JSON file decoded; a missing file is a problem too (the caller decides whether it matters). */
export function readJsonFile<T>(file: string, decoder: Decoder<T>): JsonFileRead<T> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return decodeJsonText(file, text, decoder);
}

/** readJsonFile without blocking: the extension host lists many run folders at once. */
export async function readJsonFileAsync<T>(file: string, decoder: Decoder<T>): Promise<JsonFileRead<T>> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return decodeJsonText(file, text, decoder);
}

export type JsonFileRead<T> = { ok: true; value: T } | { ok: false; problem: FileProblem; parsed?: unknown };

function unreadable(file: string, err: unknown): { ok: false; problem: FileProblem } {
  const code = (err as NodeJS.ErrnoException).code;
  return { ok: false, problem: { file, problem: code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? String(err)})` } };
}

function decodeJsonText<T>(file: string, text: string, decoder: Decoder<T>): JsonFileRead<T> {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, problem: { file, ...(parsed.line ? { line: parsed.line } : {}), problem: parsed.problem } };
  const decoded = decodeProblem(decoder, parsed.value);
  return decoded.ok ? decoded : { ok: false, problem: { file, problem: decoded.problem }, parsed: parsed.value };
}

/**
 * The records of a JSON-lines file that decode, and a problem for each line that does not. A last
 * line without its newline that is not JSON is a write cut off by a kill, which every append-only
 * file of a killed run may end with: it is skipped without a word.
 */
export function readJsonLines<T>(file: string, decoder: Decoder<T>): { records: T[]; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const { records } = new JsonLinesTail(file, decoder).read(problems, { final: true });
  return { records, problems };
}

/**
 * A JSON-lines file read as it grows (a run being written by another process): each read decodes
 * the lines completed since the last one, and keeps a line still being written for the next. A
 * file that shrank was rewritten (a resumed run trims its history): it is read again from its
 * start, and the read says so.
 */
export class JsonLinesTail<T> {
  private offset = 0;
  private lineNumber = 0;

  constructor(
    readonly file: string,
    private readonly decoder: Decoder<T>,
  ) {}

  /** `final`: the writer is done, so a last line without its newline is whole (or was cut off by a kill). */
  read(problems: FileProblem[], { final = false } = {}): { records: T[]; restarted: boolean } {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return { records: [], restarted: false };
    }
    const restarted = size < this.offset;
    if (restarted) this.offset = this.lineNumber = 0;
    if (size === this.offset) return { records: [], restarted };
    const chunk = Buffer.alloc(size - this.offset);
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.readSync(fd, chunk, 0, chunk.length, this.offset);
    } finally {
      fs.closeSync(fd);
    }
    // Only whole lines: bytes after the last newline wait for the rest of their line (and of their UTF-8 character).
    const end = final ? chunk.length : chunk.lastIndexOf(0x0a) + 1;
    const lines = chunk.subarray(0, end).toString('utf8').split('\n');
    this.offset += end;
    const records: T[] = [];
    lines.forEach((text, i) => {
      const last = i === lines.length - 1;
      if (!last || text) this.lineNumber++;
      if (!text.trim()) return;
      const parsed = parseJson(text);
      if (!parsed.ok) {
        if (!last) problems.push({ file: this.file, line: this.lineNumber, problem: `${parsed.problem}; skipped` });
        return;
      }
      const decoded = decodeProblem(this.decoder, parsed.value);
      if (decoded.ok) records.push(decoded.value);
      else problems.push({ file: this.file, line: this.lineNumber, problem: `${decoded.problem}; skipped` });
    });
    return { records, restarted };
  }
}
