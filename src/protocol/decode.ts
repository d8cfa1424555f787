/**
 * A tiny decoder library: every message and config that crosses a process boundary is checked
 * with one of these, so the static type and the runtime check are declared in one place.
 * Decoders throw DecodeError with a path such as `config.batchSize`, which becomes the text of
 * the `error` reply; `decode` turns that into a result for callers that must not throw.
 */

export class DecodeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

export type Decoder<T> = (input: unknown, path: string) => T;
export type Infer<D> = D extends Decoder<infer T> ? T : never;
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export function decode<T>(decoder: Decoder<T>, input: unknown, path = 'value'): Result<T> {
  try {
    return { ok: true, value: decoder(input, path) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: err.message };
    throw err;
  }
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  return typeof input === 'object' ? 'an object' : `${typeof input} ${String(input)}`;
}

export const str =
  (opts: { nonEmpty?: boolean } = {}): Decoder<string> =>
  (input, path) => {
    if (typeof input !== 'string') throw new DecodeError(path, `expected a string, got ${describe(input)}`);
    if (opts.nonEmpty && input.length === 0) throw new DecodeError(path, 'must not be empty');
    return input;
  };

export const bool = (): Decoder<boolean> => (input, path) => {
  if (typeof input !== 'boolean') throw new DecodeError(path, `expected true or false, got ${describe(input)}`);
  return input;
};

export interface NumberRule {
  int?: boolean;
  min?: number;
  /** Exclusive lower bound, for quantities such as a learning rate that must be positive. */
  above?: number;
  max?: number;
}

export const num =
  (rule: NumberRule = {}): Decoder<number> =>
  (input, path) => {
    if (typeof input !== 'number' || !Number.isFinite(input)) {
      throw new DecodeError(path, `expected a finite number, got ${describe(input)}`);
    }
    if (rule.int && !Number.isInteger(input)) throw new DecodeError(path, `expected a whole number, got ${input}`);
    if (rule.min !== undefined && input < rule.min) throw new DecodeError(path, `must be at least ${rule.min}, got ${input}`);
    if (rule.above !== undefined && input <= rule.above) {
      throw new DecodeError(path, `must be greater than ${rule.above}, got ${input}`);
    }
    if (rule.max !== undefined && input > rule.max) throw new DecodeError(path, `must be at most ${rule.max}, got ${input}`);
    return input;
  };

export const oneOf =
  <const T extends readonly string[]>(values: T): Decoder<T[number]> =>
  (input, path) => {
    if (typeof input !== 'string' || !values.includes(input)) {
      throw new DecodeError(path, `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(input)}`);
    }
    return input as T[number];
  };

export const arrayOf =
  <T>(item: Decoder<T>, opts: { minLength?: number } = {}): Decoder<T[]> =>
  (input, path) => {
    if (!Array.isArray(input)) throw new DecodeError(path, `expected an array, got ${describe(input)}`);
    if (opts.minLength !== undefined && input.length < opts.minLength) {
      throw new DecodeError(path, `expected at least ${opts.minLength} item(s), got ${input.length}`);
    }
    return input.map((v, i) => item(v, `${path}[${i}]`));
  };

export const recordOf =
  <T>(value: Decoder<T>): Decoder<Record<string, T>> =>
  (input, path) => {
    const o = plainObject(input, path);
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(o)) out[k] = value(v, `${path}.${k}`);
    return out;
  };

export function plainObject(input: unknown, path: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DecodeError(path, `expected an object, got ${describe(input)}`);
  }
  return input as Record<string, unknown>;
}

type Shape = Record<string, Decoder<unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: Infer<S[K]> };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * An object with required and optional fields. Unknown fields are rejected, because in a config
 * file they are almost always a typo (`latentDims`) that would otherwise be silently ignored.
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Decoder<Simplify<FromShape<R> & Partial<FromShape<O>>>> {
  return (input, path) => {
    const o = plainObject(input, path);
    const out: Record<string, unknown> = {};
    for (const [key, dec] of Object.entries(required)) {
      if (!(key in o) || o[key] === undefined) throw new DecodeError(`${path}.${key}`, 'is required');
      out[key] = dec(o[key], `${path}.${key}`);
    }
    for (const [key, dec] of Object.entries(optional ?? {})) {
      if (o[key] !== undefined) out[key] = dec(o[key], `${path}.${key}`);
    }
    for (const key of Object.keys(o)) {
      if (!(key in required) && !(optional && key in optional)) {
        const known = [...Object.keys(required), ...Object.keys(optional ?? {})].join(', ');
        throw new DecodeError(`${path}.${key}`, `is not a known field (known: ${known})`);
      }
    }
    return out as Simplify<FromShape<R> & Partial<FromShape<O>>>;
  };
}

/** A discriminated union on the field `type`: each variant is decoded by its own object decoder. */
export function tagged<M extends Record<string, Decoder<object>>>(
  variants: M,
): Decoder<{ [K in keyof M]: { type: K } & Infer<M[K]> }[keyof M]> {
  return (input, path) => {
    const o = plainObject(input, path);
    const tag = o.type;
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) {
      throw new DecodeError(`${path}.type`, `expected one of ${Object.keys(variants).join(', ')}, got ${describe(tag)}`);
    }
    const { type: _type, ...rest } = o;
    const body = variants[tag](rest, path);
    return { type: tag, ...body } as never;
  };
}

/** Adds a cross-field rule to a decoder; `check` returns a problem text, or undefined when fine. */
export function refine<T>(decoder: Decoder<T>, check: (value: T) => { field: string; problem: string } | undefined): Decoder<T> {
  return (input, path) => {
    const value = decoder(input, path);
    const issue = check(value);
    if (issue) throw new DecodeError(issue.field ? `${path}.${issue.field}` : path, issue.problem);
    return value;
  };
}

/** A value or null (e.g. a gap in a metric series, which JSON cannot carry as NaN). */
export const nullable =
  <T>(decoder: Decoder<T>): Decoder<T | null> =>
  (input, path) =>
    input === null ? null : decoder(input, path);
