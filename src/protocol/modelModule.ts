/**
 * A person's model module (src/api/genlab.ts) as the processes pass it around: what its
 * definition declares, without `create` (the trainer reads it from the file; the host and the
 * views work from it without running the person's code), and the problems found in its source.
 */
import { DENSITY_KINDS } from './families/spec';
import { arrayOf, bool, DecodeError, type Decoder, documented, type Infer, num, object, oneOf, recordOf, str } from './decode';

export type OptionValue = number | string | number[];

/** A declared option's default: a number, a string, or a list of numbers. */
const optionValue: Decoder<OptionValue> = (input, path) => {
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) return arrayOf(num(), { minLength: 1 })(input, path);
  if (typeof input === 'number') return num()(input, path);
  throw new DecodeError(path, 'expected a number, a string or a list of numbers');
};

export const optionDeclaration = object(
  { default: optionValue },
  {
    label: str({ nonEmpty: true }),
    description: str(),
    min: num(),
    max: num(),
    integer: bool(),
    choices: arrayOf(str({ nonEmpty: true }), { minLength: 1 }),
  },
);
export type OptionDeclaration = Infer<typeof optionDeclaration>;

/** Option keys become CLI flags and config fields: letters, digits and underscores, starting with a letter. */
const OPTION_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

const options: Decoder<Record<string, OptionDeclaration>> = (input, path) => {
  const decoded = recordOf(optionDeclaration)(input, path);
  for (const [key, option] of Object.entries(decoded)) {
    const at = `${path}.${key}`;
    if (!OPTION_KEY.test(key)) throw new DecodeError(at, 'an option name is letters, digits and underscores, starting with a letter');
    optionRule(option)(option.default, `${at}.default`);
  }
  return decoded;
};

/** The decoder of an option's values: its choices, its bounds, one number or a list like its default. */
export function optionRule(option: OptionDeclaration): Decoder<OptionValue> {
  if (typeof option.default === 'string') {
    return option.choices ? oneOf(option.choices) : str({ nonEmpty: true });
  }
  const rule = num({ int: option.integer, min: option.min, max: option.max });
  return Array.isArray(option.default) ? arrayOf(rule, { minLength: 1 }) : rule;
}

/** The definition's JSON part: everything but `create`. */
export const moduleDeclaration = object(
  {
    title: str({ nonEmpty: true }),
    densityKind: oneOf(DENSITY_KINDS),
    data: oneOf(['images', 'points'] as const),
    options,
  },
  {
    summary: str({ nonEmpty: true }),
    grayscale: bool(),
    defaults: object(
      {},
      {
        steps: num({ int: true, min: 1 }),
        epochs: num({ above: 0 }),
        learningRate: num({ above: 0, max: 10 }),
        batchSize: num({ int: true, min: 1, max: 4096 }),
        evalEvery: num({ int: true, min: 1 }),
      },
    ),
    loss: str({ nonEmpty: true }),
    metric: str({ nonEmpty: true }),
  },
);
export type ModuleDeclaration = Infer<typeof moduleDeclaration>;

/** A module as a config names it: the file (absolute) and what it declared when it was read. */
export const moduleRef = object({
  path: documented(str({ nonEmpty: true }), 'The model module, an absolute path.'),
  declaration: moduleDeclaration,
});
export type ModuleRef = Infer<typeof moduleRef>;

/** The sources a module run trained, as run.json records them; copies are in the run's source/ folder. */
export const moduleSource = object({
  entry: documented(str({ nonEmpty: true }), "The module's file, relative to source/."),
  sha256: documented(str({ nonEmpty: true }), 'Of the files, in order: each path relative to source/, a NUL, its bytes, a NUL.'),
  files: documented(arrayOf(str({ nonEmpty: true }), { minLength: 1 }), 'Every file the module imports, itself first, relative to source/.'),
});
export type ModuleSource = Infer<typeof moduleSource>;

/** A problem in the person's source, where the editor can show it. */
export const sourceProblem = object({
  file: str({ nonEmpty: true }),
  line: num({ int: true, min: 1 }),
  column: num({ int: true, min: 1 }),
  message: str({ nonEmpty: true }),
  severity: oneOf(['error', 'warning'] as const),
});
export type SourceProblem = Infer<typeof sourceProblem>;

/** "file:line:column: message", the form editors and terminals link. */
export function problemText({ file, line, column, message }: SourceProblem): string {
  return `${file}:${line}:${column}: ${message}`;
}

/** Option keys as CLI flags: hiddenSize → hidden-size. */
export function optionFlag(key: string): string {
  return key.replace(/_/g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

