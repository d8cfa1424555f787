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

/**
 * A JSON Schema (draft-07) fragment: what a decoder accepts, for tools that read GenLab's files
 * without its code (media/schemas/). Every combinator here declares one, so a schema generated
 * from a decoder cannot drift from it; a cross-field rule (`refine`) is the decoder's alone.
 */
export type JsonSchema = Record<string, unknown>;

// Built lazily: a composite's schema asks its parts only when someone asks for it.
const SCHEMAS = new WeakMap<Decoder<unknown>, () => JsonSchema>();

export function withSchema<D extends Decoder<unknown>>(decoder: D, schema: JsonSchema | (() => JsonSchema)): D {
  SCHEMAS.set(decoder, typeof schema === 'function' ? schema : () => schema);
  return decoder;
}

export function schemaOf(decoder: Decoder<unknown>): JsonSchema {
  const schema = SCHEMAS.get(decoder);
  if (!schema) throw new Error('This decoder declares no JSON Schema: a hand-written decoder needs withSchema(decoder, schema).');
  return schema();
}

/** The same decoder with a description in its schema (a new function, so shared decoders stay undescribed). */
export function documented<T>(decoder: Decoder<T>, description: string): Decoder<T> {
  return withSchema<Decoder<T>>((input, path) => decoder(input, path), () => ({ ...schemaOf(decoder), description }));
}

export function decode<T>(decoder: Decoder<T>, input: unknown, path = 'value'): Result<T> {
  try {
    return { ok: true, value: decoder(input, path) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: err.message };
    throw err;
  }
}

/**
 * At most `max` characters of `text`, marked when cut: errors quote bad input, and a reply or log
 * line must not grow with whatever a sender chose to send.
 */
export function excerpt(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  if (typeof input === 'string') return JSON.stringify(excerpt(input));
  return typeof input === 'object' ? 'an object' : excerpt(`${typeof input} ${String(input)}`);
}

/** A field's path for errors; a key the sender chose is quoted as an excerpt. */
const fieldPath = (path: string, key: string) => `${path}.${excerpt(key)}`;

export const str =
  (opts: { nonEmpty?: boolean } = {}): Decoder<string> =>
  withSchema<Decoder<string>>((input, path) => {
    if (typeof input !== 'string') throw new DecodeError(path, `expected a string, got ${describe(input)}`);
    if (opts.nonEmpty && input.length === 0) throw new DecodeError(path, 'must not be empty');
    return input;
  }, { type: 'string', ...(opts.nonEmpty ? { minLength: 1 } : {}) });

export const bool = (): Decoder<boolean> => withSchema<Decoder<boolean>>((input, path) => {
  if (typeof input !== 'boolean') throw new DecodeError(path, `expected true or false, got ${describe(input)}`);
  return input;
}, { type: 'boolean' });

export interface NumberRule {
  int?: boolean;
  min?: number;
  /** Exclusive lower bound, for quantities such as a learning rate that must be positive. */
  above?: number;
  max?: number;
  /** Why the upper bound is there, said when it is crossed (a bound with no reason reads as arbitrary). */
  maxBecause?: string;
}

export const num =
  (rule: NumberRule = {}): Decoder<number> =>
  withSchema<Decoder<number>>((input, path) => {
    if (typeof input !== 'number' || !Number.isFinite(input)) {
      throw new DecodeError(path, `expected a finite number, got ${describe(input)}`);
    }
    if (rule.int && !Number.isInteger(input)) throw new DecodeError(path, `expected a whole number, got ${input}`);
    if (rule.min !== undefined && input < rule.min) throw new DecodeError(path, `must be at least ${rule.min}, got ${input}`);
    if (rule.above !== undefined && input <= rule.above) {
      throw new DecodeError(path, `must be greater than ${rule.above}, got ${input}`);
    }
    if (rule.max !== undefined && input > rule.max) {
      throw new DecodeError(path, `must be at most ${rule.max}${rule.maxBecause ? ` (${rule.maxBecause})` : ''}, got ${input}`);
    }
    return input;
  }, {
    type: rule.int ? 'integer' : 'number',
    ...(rule.min === undefined ? {} : { minimum: rule.min }),
    ...(rule.above === undefined ? {} : { exclusiveMinimum: rule.above }),
    ...(rule.max === undefined ? {} : { maximum: rule.max }),
  });

export const oneOf =
  <const T extends readonly string[]>(values: T): Decoder<T[number]> =>
  withSchema<Decoder<T[number]>>((input, path) => {
    if (typeof input !== 'string' || !values.includes(input)) {
      throw new DecodeError(path, `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(input)}`);
    }
    return input as T[number];
  }, { enum: [...values] });

export const arrayOf =
  <T>(item: Decoder<T>, opts: { minLength?: number } = {}): Decoder<T[]> =>
  withSchema<Decoder<T[]>>((input, path) => {
    if (!Array.isArray(input)) throw new DecodeError(path, `expected an array, got ${describe(input)}`);
    if (opts.minLength !== undefined && input.length < opts.minLength) {
      throw new DecodeError(path, `expected at least ${opts.minLength} item(s), got ${input.length}`);
    }
    return input.map((v, i) => item(v, `${path}[${i}]`));
  }, () => ({ type: 'array', items: schemaOf(item), ...(opts.minLength === undefined ? {} : { minItems: opts.minLength }) }));

export const recordOf =
  <T>(value: Decoder<T>): Decoder<Record<string, T>> =>
  withSchema<Decoder<Record<string, T>>>((input, path) => {
    // fromEntries defines own properties: a key `__proto__` stays a key and cannot set a prototype.
    return Object.fromEntries(Object.entries(plainObject(input, path)).map(([k, v]) => [k, value(v, fieldPath(path, k))]));
  }, () => ({ type: 'object', additionalProperties: schemaOf(value) }));

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
 * Fields are looked up as own properties only: with `in`, `constructor`, `toString` or
 * `__proto__` would count as known (they are on every object's prototype).
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Decoder<Simplify<FromShape<R> & Partial<FromShape<O>>>> {
  return withSchema((input, path) => {
    const o = plainObject(input, path);
    const out: Record<string, unknown> = {};
    for (const [key, dec] of Object.entries(required)) {
      if (!Object.hasOwn(o, key) || o[key] === undefined) throw new DecodeError(`${path}.${key}`, 'is required');
      out[key] = dec(o[key], `${path}.${key}`);
    }
    for (const [key, dec] of Object.entries(optional ?? {})) {
      if (Object.hasOwn(o, key) && o[key] !== undefined) out[key] = dec(o[key], `${path}.${key}`);
    }
    for (const key of Object.keys(o)) {
      if (!Object.hasOwn(required, key) && !(optional && Object.hasOwn(optional, key))) {
        const known = [...Object.keys(required), ...Object.keys(optional ?? {})].join(', ');
        throw new DecodeError(fieldPath(path, key), `is not a known field (known: ${known})`);
      }
    }
    return out as Simplify<FromShape<R> & Partial<FromShape<O>>>;
  }, () => objectSchema({ ...required, ...optional }, Object.keys(required)));
}

function objectSchema(fields: Shape, required: string[]): JsonSchema {
  const properties = Object.fromEntries(Object.entries(fields).map(([key, dec]) => [key, schemaOf(dec)]));
  return { type: 'object', ...(required.length ? { required } : {}), properties, additionalProperties: false };
}

/** A discriminated union on the field `type`: each variant is decoded by its own object decoder. */
export function tagged<M extends Record<string, Decoder<object>>>(
  variants: M,
): Decoder<{ [K in keyof M]: { type: K } & Infer<M[K]> }[keyof M]> {
  return withSchema((input, path) => {
    const o = plainObject(input, path);
    const tag = o.type;
    if (typeof tag !== 'string' || !Object.hasOwn(variants, tag)) {
      throw new DecodeError(`${path}.type`, `expected one of ${Object.keys(variants).join(', ')}, got ${describe(tag)}`);
    }
    const { type: _type, ...rest } = o;
    const body = variants[tag](rest, path);
    return { type: tag, ...body } as never;
  }, () => ({
    oneOf: Object.entries(variants).map(([tag, variant]) => {
      const { required = [], properties = {}, ...rest } = schemaOf(variant) as { required?: string[]; properties?: JsonSchema };
      return { ...rest, required: ['type', ...required], properties: { type: { const: tag }, ...properties } };
    }),
  }));
}

/** Adds a cross-field rule to a decoder; `check` returns a problem text, or undefined when fine. */
export function refine<T>(decoder: Decoder<T>, check: (value: T) => { field: string; problem: string } | undefined): Decoder<T> {
  return withSchema((input, path) => {
    const value = decoder(input, path);
    const issue = check(value);
    if (issue) throw new DecodeError(issue.field ? `${path}.${issue.field}` : path, issue.problem);
    return value;
  }, () => schemaOf(decoder));
}

/** A value or null (e.g. a gap in a metric series, which JSON cannot carry as NaN). */
export const nullable =
  <T>(decoder: Decoder<T>): Decoder<T | null> =>
  withSchema<Decoder<T | null>>((input, path) => (input === null ? null : decoder(input, path)), () => ({ anyOf: [schemaOf(decoder), { type: 'null' }] }));
