/**
 * The trainer child process. Started with child_process.fork by the extension host or the CLI;
 * every message it receives is decoded against the protocol, and an invalid one is answered with
 * an `error` message instead of crashing. One process trains one run, then exits.
 */
import { decode, excerpt } from '../protocol/decode';
import { type HostMessage, hostMessage, type TrainerMessage, trainerMessage } from '../protocol/messages';
import { initBackend } from './backend/select';
import { UserError } from '../shared/userError';
import * as path from 'node:path';
import { generateFromRun } from './generate';
import { GENERATED_DIR } from '../shared/runFolder';
import { TrainingSession } from './session';
import { loadModule } from './modules/load';
import { ModuleError } from './modules/moduleError';

// Model modules run as compiled JavaScript with inline source maps: with this, their stack
// traces (and so the lines GenLab reports) name the person's TypeScript.
process.setSourceMapsEnabled(true);

/** Settles when the last message sent has been handed to the IPC channel. */
let lastSent: Promise<void> = Promise.resolve();

function send(message: TrainerMessage): void {
  // Checked on the way out too: a malformed message here is a trainer bug, better caught at its source.
  const checked = decode(trainerMessage, message, 'message');
  if (!checked.ok) throw new Error(`Trainer tried to send an invalid message: ${checked.error}`);
  lastSent = new Promise((resolve) => process.send?.(message, undefined, undefined, () => resolve()));
}

/** Exits once every message is out; disconnecting first would drop the last ones. */
async function exitAfterSending(): Promise<void> {
  await lastSent;
  // The host may have let go already (window closed): disconnecting twice throws.
  if (process.connected) process.disconnect();
  // Nothing is left to do, so a handle a backend keeps open must not keep the process alive
  // without its host; the timer itself keeps nothing alive.
  setTimeout(() => process.exit(), 2000).unref();
}

let session: TrainingSession | undefined;

async function start(message: Extract<HostMessage, { type: 'start' }>): Promise<void> {
  const backend = await initBackend(message.config.backend);
  send({ type: 'ready', backend: backend.label, versions: backend.versions, notes: backend.notes });
  session = new TrainingSession(message.config, backend, send, message.resumeFrom);
  await session.execute();
}

async function generate(message: Extract<HostMessage, { type: 'generate' }>): Promise<void> {
  const backend = await initBackend('auto');
  send({ type: 'ready', backend: backend.label, versions: backend.versions, notes: backend.notes });
  const { file, caption } = await generateFromRun(message.runDir, message.request);
  send({ type: 'generated', path: path.join(message.runDir, GENERATED_DIR, file), caption });
}

function describe(message: Extract<HostMessage, { type: 'describe' }>): void {
  const { ref, files, sha256 } = loadModule(message.module);
  send({ type: 'described', module: ref, files, sha256 });
}

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof UserError ? err.hint : 'See the GenLab log for the stack trace; the run folder keeps everything written so far.';
  // A UserError is the person's to fix and says how: a stack trace would only bury that.
  if (!(err instanceof UserError)) console.error(err instanceof Error ? (err.stack ?? message) : message);
  send({ type: 'error', message, hint, fatal: true, ...(err instanceof ModuleError && err.problems.length ? { problems: err.problems } : {}) });
  process.exitCode = 1;
}

function onMessage(raw: unknown): void {
  const result = decode(hostMessage, raw, 'message');
  if (!result.ok) {
    send({ type: 'error', message: `Invalid message ignored: ${excerpt(result.error, 300)}`, hint: 'The sender must follow src/protocol/messages.ts.', fatal: false });
    return;
  }
  const message = result.value;
  switch (message.type) {
    case 'start':
      if (session) {
        send({ type: 'error', message: 'This trainer is already training a run.', hint: 'Start a new trainer process for another run.', fatal: false });
        return;
      }
      start(message)
        .catch(fail)
        .finally(exitAfterSending);
      return;
    case 'stop':
      if (session) session.requestStop();
      else process.exit(0);
      return;
    case 'sampleNow':
      session?.requestSample();
      return;
    case 'generate':
      generate(message)
        .catch(fail)
        .finally(exitAfterSending);
      return;
    case 'describe':
      // No backend: reading a module's declaration runs only its top-level code.
      Promise.resolve()
        .then(() => describe(message))
        .catch(fail)
        .finally(exitAfterSending);
      return;
  }
}

if (!process.send) {
  console.error('The GenLab trainer runs as a child process. For headless training use the CLI: npx genlab train vae --help');
  process.exit(2);
}

process.on('message', onMessage);
// The parent going away (extension host closed, CLI killed) or a signal ends the run cleanly after
// the current step, so the run folder is left complete rather than cut off.
// Without a session (before `start`, or drawing from a run) there is nothing to keep: exit, with
// the status a failure may have set.
process.on('disconnect', () => {
  // The host's ends of stdout and stderr may be gone with it: a warning printed while the final
  // checkpoint is written must not crash the trainer.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  if (session) session.requestStop();
  else process.exit();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (session ? session.requestStop() : process.exit()));
