/**
 * GenLab: Install Native Backend / Remove Native Backend. The install (src/shared/native) runs in
 * the extension host behind a cancellable progress notification, its tools' output in GenLab's
 * log; new runs pick the native backend up with genlab.backend auto, running ones keep theirs.
 */
import * as vscode from 'vscode';
import { TFJS_VERSION } from '../protocol/native';
import { describeInstall } from '../shared/native/describe';
import { installNativeBackend, removeNativeBackend } from '../shared/native/install';
import { findNativeInstall, NOT_INSTALLED } from '../shared/native/location';
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
  const present = findNativeInstall();
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
      'Native backend installed: tfjs-node {0} with libtensorflow {1}, {2} MB, in {3} s. New runs train on it.',
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

async function remove(log: vscode.LogOutputChannel): Promise<boolean> {
  const present = findNativeInstall();
  if (!present.ok && present.problem === NOT_INSTALLED) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No native backend is installed; training uses wasm.'));
    return false;
  }
  const confirm = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Remove the native backend?'),
    { modal: true, detail: vscode.l10n.t('{0}\nNew runs will train on wasm; runs training now keep their backend until they end.', describeInstall(present)) },
    confirm,
  );
  if (choice !== confirm) return false;
  const freed = removeNativeBackend();
  log.info(`Native backend removed from ${present.dir} (${megabytes(freed)} MB freed)`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Native backend removed ({0} MB freed). New runs train on wasm.', megabytes(freed)));
  return true;
}
