/**
 * GenLab: Install Native Backend / Remove Native Backend. The install (src/shared/native) runs in
 * the extension host behind a cancellable progress notification, its tools' output in GenLab's
 * log; new runs pick the native backend up with genlab.backend auto, running ones keep theirs.
 * Where NVIDIA's driver answers (a GPU machine, often over Remote-SSH) the person chooses between
 * the CPU build and tfjs-node-gpu; elsewhere the CPU build is installed without asking.
 */
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import { nativePackageName, type NativeVariant, TFJS_VERSION } from '../protocol/native';
import { describeInstall } from '../shared/native/describe';
import { installNativeBackend, removeNativeBackend } from '../shared/native/install';
import { findNativeInstall, nativeInstalls, NOT_INSTALLED } from '../shared/native/location';
import { UserError } from '../shared/userError';
import { openLog, openSettings, showError } from './errorActions';

const megabytes = (bytes: number) => Math.round(bytes / 1e6);

export function registerNativeBackend(log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('genlab.installNativeBackend', () => install(log)),
    vscode.commands.registerCommand('genlab.removeNativeBackend', () => remove(log)),
  ];
}

/** Resolves to the install's folder, or undefined when it was declined, cancelled or failed (each said to the person). */
async function install(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const variant = await chooseVariant();
  if (!variant) return undefined;
  const present = findNativeInstall(process.env, variant);
  if (present.ok) {
    const again = vscode.l10n.t('Reinstall');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('The native backend is already installed.'), { modal: true, detail: describeInstall(present) }, again);
    if (choice !== again) return undefined;
  }
  const started = Date.now();
  const controller = new AbortController();
  try {
    const { dir, manifest } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('GenLab: installing the native backend'), cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => controller.abort(new UserError(vscode.l10n.t('Installing the native backend was cancelled.'), vscode.l10n.t('Nothing was changed; run GenLab: Install Native Backend again when you like.'))));
        let shown = 0;
        return installNativeBackend({
          variant,
          signal: controller.signal,
          progress: {
            report: (message, fraction) => {
              progress.report({ message, increment: Math.max(0, 100 * (fraction - shown)) });
              shown = Math.max(shown, fraction);
            },
            log: (line) => log.info(`native backend: ${line}`),
          },
        });
      },
    );
    const seconds = Math.round((Date.now() - started) / 1000);
    log.info(`Native backend installed in ${seconds} s: ${dir}`);
    const forced = vscode.workspace.getConfiguration('genlab').get<string>('backend', 'auto');
    const message = vscode.l10n.t(
      'Native backend installed: {0} {1} with libtensorflow {2}, {3} MB, in {4} s. New runs train on it.',
      nativePackageName(variant),
      TFJS_VERSION,
      manifest.libtensorflow.version,
      megabytes(manifest.bytes),
      seconds,
    );
    if (forced === 'wasm' || forced === 'cpu') {
      void showError(vscode.l10n.t('{0} But genlab.backend is set to {1}: set it to auto or tensorflow to use it.', message, forced), [openSettings('genlab.backend')]);
    } else void vscode.window.showInformationMessage(message);
    return dir;
  } catch (err) {
    const error = controller.signal.aborted ? controller.signal.reason : err;
    log.error(`Native backend install: ${error instanceof Error ? error.message : String(error)}`);
    if (controller.signal.aborted) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Installing the native backend was cancelled; nothing was changed.'));
      return undefined;
    }
    const text = error instanceof UserError ? `${error.message} ${error.hint}` : error instanceof Error ? error.message : String(error);
    void showError(vscode.l10n.t('GenLab could not install the native backend: {0}', text), [openLog(log)]);
    return undefined;
  }
}

/** The CPU build, unless NVIDIA's driver answers here and the person picks tfjs-node-gpu; undefined when the pick is dismissed. */
async function chooseVariant(): Promise<NativeVariant | undefined> {
  const driver = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10000 });
  if (process.platform !== 'linux' || driver.status !== 0) return 'cpu';
  const gpus = driver.stdout.trim().split('\n').filter(Boolean);
  const items: (vscode.QuickPickItem & { variant: NativeVariant })[] = [
    { variant: 'gpu', label: vscode.l10n.t('GPU (CUDA): tfjs-node-gpu'), description: gpus[0] ?? '', detail: vscode.l10n.t('Needs the CUDA and cuDNN libraries TensorFlow was built for on the library path; without them it computes on the CPU.') },
    { variant: 'cpu', label: vscode.l10n.t('CPU: tfjs-node'), detail: vscode.l10n.t('Native TensorFlow on the CPU; no CUDA needed.') },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('GenLab: Install Native Backend'), placeHolder: vscode.l10n.t('NVIDIA’s driver reports {0} GPU(s) here: which build of TensorFlow?', gpus.length) });
  return picked?.variant;
}

async function remove(log: vscode.LogOutputChannel): Promise<boolean> {
  const installs = nativeInstalls();
  const present = installs[0];
  if (installs.length === 1 && !present.ok && present.problem === NOT_INSTALLED) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No native backend is installed; training uses wasm.'));
    return false;
  }
  const confirm = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Remove the native backend?'),
    { modal: true, detail: vscode.l10n.t('{0}\nNew runs will train on wasm; runs training now keep their backend until they end.', installs.map(describeInstall).join('\n')) },
    confirm,
  );
  if (choice !== confirm) return false;
  const freed = removeNativeBackend();
  log.info(`Native backend removed from ${installs.map((i) => i.dir).join(' and ')} (${megabytes(freed)} MB freed)`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Native backend removed ({0} MB freed). New runs train on wasm.', megabytes(freed)));
  return true;
}
