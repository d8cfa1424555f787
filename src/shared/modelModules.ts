/**
 * What a host (the extension, the CLI) learns of a person's model module before training it: the
 * trainer type-checks and loads it in a process of its own (the host never runs the person's
 * code), and answers with its declaration, or with the problems found and where they are.
 */
import * as path from 'node:path';
import type { ModuleRef, SourceProblem } from '../protocol/modelModule';
import { TrainerClient } from './trainerClient';

export type ModuleDescription =
  | { ok: true; module: ModuleRef; files: string[]; sha256: string }
  | { ok: false; message: string; hint: string; problems: SourceProblem[] };

/** Describes the module at `modulePath`; `onLog` gets what the trainer prints (a stack trace of a GenLab bug). */
export async function describeModule(modulePath: string, trainerPath = path.join(__dirname, 'trainer.js'), onLog: (line: string) => void = () => {}): Promise<ModuleDescription> {
  let answer: ModuleDescription | undefined;
  const client = TrainerClient.describe(path.resolve(modulePath), {
    onMessage: (m) => {
      if (m.type === 'described') answer = { ok: true, module: m.module, files: m.files, sha256: m.sha256 };
      else if (m.type === 'error' && m.fatal) answer = { ok: false, message: m.message, hint: m.hint, problems: m.problems ?? [] };
    },
    onLog,
    onInvalid: (problem) => onLog(`Invalid message from the trainer: ${problem}`),
  }, trainerPath);
  const exit = await client.exited;
  return answer ?? { ok: false, message: `The trainer ended (${exit.signal ?? `exit code ${exit.code}`}) before it described the module.`, hint: 'See the GenLab log for what it printed.', problems: [] };
}
