/**
 * Errors in a person's model module, located in their source: a type or syntax error found before
 * it runs, or an exception thrown by their code, placed by its stack (the emitted code carries
 * source maps, so the frames name their .ts lines), never by GenLab's own frames.
 */
import { problemText, type SourceProblem } from '../../protocol/modelModule';
import { UserError } from '../../shared/userError';

export class ModuleError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly problems: SourceProblem[],
  ) {
    super(message, hint);
    this.name = 'ModuleError';
  }
}

/** The problems found before the module ran: refuse it, naming the first few. */
export function compileError(problems: SourceProblem[]): ModuleError {
  const errors = problems.filter((p) => p.severity === 'error');
  const shown = errors.slice(0, 3).map(problemText).join('\n');
  const more = errors.length > 3 ? `\n(and ${errors.length - 3} more)` : '';
  return new ModuleError(`The model module has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${shown}${more}`, 'Fix them in the editor (the Problems panel lists them) and train again.', errors);
}

const FRAME = /\(?((?:[A-Za-z]:)?[^():\s]+):(\d+):(\d+)\)?$/;

/** The first frame of the stack that is in one of the module's files. */
export function locate(err: unknown, files: readonly string[]): Omit<SourceProblem, 'message' | 'severity'> | undefined {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line.trim());
    if (match && files.includes(match[1])) return { file: match[1], line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** An exception from the person's code (`where`: what GenLab was calling), at its line in their source. */
export function thrownError(err: unknown, where: string, files: readonly string[]): UserError {
  if (err instanceof UserError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const at = locate(err, files);
  const text = `The model module threw in ${where}: ${message}`;
  if (!at) return new ModuleError(text, 'The error came from code the module called (not its own lines); see the GenLab log for the stack.', []);
  const problem: SourceProblem = { ...at, message: `${where}: ${message}`, severity: 'error' };
  return new ModuleError(`${text}\n  at ${problemText(problem).replace(/: [^]*$/, '')}`, 'Fix the line it names and train again; the run folder keeps what was written before.', [problem]);
}
