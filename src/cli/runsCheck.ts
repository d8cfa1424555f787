/** `genlab runs check <run-folder>`: validates a run folder against the run format, for people and scripts. */
import { problemText } from '../shared/decodedFiles';
import { checkRunFolder } from '../shared/runCheck';

export const RUNS_USAGE = 'genlab runs check <run-folder>';

/** Prints each problem (exit 1), or "ok: <summary>" (exit 0); a wrong command line exits 2. */
export function runsCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const [command, dir, ...extra] = args;
  if (command !== 'check' || !dir || extra.length) {
    err.write(`genlab: usage: ${RUNS_USAGE}\n`);
    return 2;
  }
  const { problems, summary } = checkRunFolder(dir);
  if (problems.length) {
    for (const p of problems) out.write(`${problemText(p)}\n`);
    return 1;
  }
  out.write(`ok: ${summary}\n`);
  return 0;
}
