/** `genlab export <run-folder> [--out <dir>]`: the run's newest model, with a README on loading it, into a new folder. */
import { parseArgs } from 'node:util';
import { writeModelExport } from '../shared/modelExport';
import { UserError } from '../shared/userError';

export const EXPORT_USAGE = 'genlab export <run-folder> [--out <dir>]';

/** Prints the folder written (exit 0); a run it cannot export exits 1 with the fix; a wrong command line exits 2. */
export function exportCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (e) {
    err.write(`genlab: ${(e as Error).message}\ngenlab: usage: ${EXPORT_USAGE}\n`);
    return 2;
  }
  const [runDir, ...extra] = parsed.positionals;
  if (!runDir || extra.length) {
    err.write(`genlab: usage: ${EXPORT_USAGE}\n`);
    return 2;
  }
  try {
    const { dir, step } = writeModelExport(runDir, parsed.values.out ?? '.');
    out.write(`Exported the model at step ${step} to ${dir} (see its README.md)\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    err.write(`genlab: ${e.message}\n${e.hint}\n`);
    return 1;
  }
}
