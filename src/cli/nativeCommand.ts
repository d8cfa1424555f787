/** `genlab native install | status | remove`: the native TensorFlow backend, from the command line. */
import { NATIVE_PACKAGES, TFJS_VERSION } from '../protocol/native';
import { describeInstall } from '../shared/native/describe';
import { installNativeBackend, removeNativeBackend } from '../shared/native/install';
import { nativeInstalls } from '../shared/native/location';
import { UserError } from '../shared/userError';

export const NATIVE_USAGE = 'genlab native install [--gpu] | status | remove';

/** Exit 0 when it did what was asked (status: when installed), 1 with the fix when it could not, 2 on a wrong command line. */
export async function nativeCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [command, ...extra] = args;
  const gpu = command === 'install' && extra.length === 1 && extra[0] === '--gpu';
  if (!command || (extra.length && !gpu) || !['install', 'status', 'remove'].includes(command)) {
    err.write(`genlab: usage: ${NATIVE_USAGE}\n`);
    return 2;
  }
  if (command === 'status') {
    const installs = nativeInstalls();
    out.write(`${installs.map(describeInstall).join('\n')}\n`);
    return installs.some((i) => i.ok) ? 0 : 1;
  }
  if (command === 'remove') {
    const freed = removeNativeBackend();
    out.write(freed ? `Removed the native backend (${Math.round(freed / 1e6)} MB freed); training uses wasm.\n` : 'No native backend was installed.\n');
    return 0;
  }
  const controller = new AbortController();
  const cancel = () => controller.abort(new UserError('Install cancelled.', 'Nothing was changed; run it again when you like.'));
  process.once('SIGINT', cancel);
  const started = Date.now();
  const lines = new StageLines(out);
  try {
    const variant = gpu ? 'gpu' : 'cpu';
    const { dir, manifest } = await installNativeBackend({
      variant,
      signal: controller.signal,
      progress: {
        report: (message, fraction) => lines.show(message, fraction),
        log: (line) => {
          if (process.env.GENLAB_VERBOSE) err.write(`${line}\n`);
        },
      },
    });
    lines.end();
    out.write(`Installed ${NATIVE_PACKAGES[variant]} ${TFJS_VERSION} with libtensorflow ${manifest.libtensorflow.version} (${manifest.libtensorflow.source}) in ${Math.round((Date.now() - started) / 1000)} s: ${dir} (${Math.round(manifest.bytes / 1e6)} MB). Training with --backend auto now uses it.\n`);
    return 0;
  } catch (e) {
    const error = controller.signal.aborted ? controller.signal.reason : e;
    lines.end();
    if (!(error instanceof UserError)) throw error;
    err.write(`genlab: ${error.message}\n${error.hint}\n`);
    return 1;
  } finally {
    process.off('SIGINT', cancel);
  }
}

/** One line per stage; on a terminal a stage's updates (a download's megabytes) rewrite its line in place. */
class StageLines {
  private stage = '';
  private open = false;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WritableStream) {
    this.tty = 'isTTY' in out && out.isTTY === true;
  }

  show(message: string, fraction: number): void {
    const stage = message.split(' (')[0];
    const line = `[${String(Math.round(fraction * 100)).padStart(3)} %] ${message}`;
    if (stage === this.stage) {
      if (this.tty) this.out.write(`\r${line}\x1b[K`);
      return;
    }
    this.stage = stage;
    if (this.tty) {
      this.out.write(`${this.open ? '\n' : ''}${line}`);
      this.open = true;
    } else this.out.write(`${line}\n`);
  }

  end(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}
