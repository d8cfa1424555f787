/**
 * The host side of the trainer: forks the trainer process and speaks the protocol to it. Used by
 * the CLI and by the extension host; it loads no TensorFlow.js itself, so importing it is cheap.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { TrainConfig } from '../protocol/config';
import { decode } from '../protocol/decode';
import { type GenerateRequest, type HostMessage, hostMessage, type TrainerMessage, trainerMessage } from '../protocol/messages';

export interface TrainerHandlers {
  onMessage(message: TrainerMessage): void;
  /** A line the trainer printed (its stderr carries warnings and stack traces). */
  onLog(line: string, stream: 'stdout' | 'stderr'): void;
  /** A message that failed validation; it has been dropped. */
  onInvalid(problem: string): void;
}

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TrainerClient {
  readonly exited: Promise<TrainerExit>;
  private readonly child: ChildProcess;
  /** Set by `disconnect`: the host no longer listens. */
  private released = false;

  private constructor(child: ChildProcess, handlers: TrainerHandlers) {
    this.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      // Still read once released, so that the trainer never blocks on a full pipe.
      if (source) readline.createInterface({ input: source }).on('line', (line) => this.released || handlers.onLog(line, stream));
    }
    child.on('message', (raw) => {
      const result = decode(trainerMessage, raw, 'message');
      if (result.ok) handlers.onMessage(result.value);
      else handlers.onInvalid(result.error);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Forks the trainer (dist/trainer.js beside this bundle unless `trainerPath` says otherwise) and
   * starts a run, or with `resumeFrom` (a run folder) continues that run from its last checkpoint.
   */
  static start(config: TrainConfig, handlers: TrainerHandlers, trainerPath = path.join(__dirname, 'trainer.js'), resumeFrom?: string): TrainerClient {
    return TrainerClient.fork(handlers, trainerPath, { type: 'start', config, ...(resumeFrom ? { resumeFrom } : {}) });
  }

  /** Forks a trainer that draws what `request` asks from a trained run, answers `generated` and exits. */
  static generate(runDir: string, request: GenerateRequest, handlers: TrainerHandlers, trainerPath = path.join(__dirname, 'trainer.js')): TrainerClient {
    return TrainerClient.fork(handlers, trainerPath, { type: 'generate', runDir, request });
  }

  /** Forks a trainer that type-checks and loads the model module at `module`, answers `described` (or an error) and exits. */
  static describe(module: string, handlers: TrainerHandlers, trainerPath = path.join(__dirname, 'trainer.js')): TrainerClient {
    return TrainerClient.fork(handlers, trainerPath, { type: 'describe', module });
  }

  private static fork(handlers: TrainerHandlers, trainerPath: string, first: HostMessage): TrainerClient {
    // Checked here too: the trainer would only answer an invalid first message with an error and
    // wait; a bug in the host is better caught where it is made.
    const checked = decode(hostMessage, first, 'message');
    if (!checked.ok) throw new Error(`Invalid message for the trainer: ${checked.error}`);
    // execArgv: [] so that a debugger flag of the host (the extension host under F5) is not inherited.
    const child = fork(trainerPath, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', execArgv: [] });
    const client = new TrainerClient(child, handlers);
    client.send(first);
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  send(message: HostMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Asks for a clean stop after the current step. */
  stop(): void {
    this.send({ type: 'stop' });
  }

  /**
   * Lets the trainer go, as the host's exit would: the IPC channel closes, which the trainer takes
   * as a stop after the current step, and it finishes its run on its own. No message or printed
   * line reaches the handlers after it (a host shutting down may have closed what they write
   * to); `exited` still settles.
   */
  disconnect(): void {
    this.released = true;
    if (this.child.connected) this.child.disconnect();
  }

  /** Ends the process at once; the run folder keeps everything written before. */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
