/**
 * The HTML shell of the webviews (dashboard and compare panels, gallery view): one bundled script and its
 * stylesheet from dist/webview, under a strict Content Security Policy. Scripts run only with this
 * load's nonce; styles come only from the extension's files (no inline <style> and no style=
 * attributes; scripts set sizes through the CSSOM, which the policy allows, and the web components
 * use constructed stylesheets, which it does not govern). Images may come from the runs folders,
 * so those are local resource roots too. The page carries VS Code's l10n bundle for the display
 * language (`data-l10n`), which webview/shared/l10n.ts looks the webviews' strings up in.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type WebviewPage = 'dashboard' | 'gallery' | 'compare';

/** A fresh random value for the script nonce, one per page load. */
export function nonce(): string {
  return randomBytes(18).toString('base64');
}

/** Folders the webview may load from: the bundles, media and the runs (sample images). */
export function localResourceRoots(extensionUri: vscode.Uri, runsRoots: vscode.Uri[]): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media'), ...runsRoots];
}

/** A panel's tab icon, drawn in the theme's icon colour (media/genlab.svg's currentColor would stay black). */
export function panelIcon(extensionUri: vscode.Uri): { light: vscode.Uri; dark: vscode.Uri } {
  return { light: vscode.Uri.joinPath(extensionUri, 'media', 'genlab-light.svg'), dark: vscode.Uri.joinPath(extensionUri, 'media', 'genlab-dark.svg') };
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage, title: string): string {
  const n = nonce();
  const src = webview.cspSource;
  const asset = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${src} data:`,
    `style-src ${src}`,
    `font-src ${src}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeHtml(asset(`${page}.css`))}">
  <title>${escapeHtml(title)}</title>
</head>
<body class="page-${page}" data-l10n="${escapeHtml(JSON.stringify(vscode.l10n.bundle ?? {}))}">
  <div id="app"></div>
  <script nonce="${n}" src="${escapeHtml(asset(`${page}.js`))}"></script>
</body>
</html>`;
}
