/**
 * The webviews' strings. Each is written in English where it is used, as `l10n.t('Step {0}', n)`,
 * and looked up in the bundle the host put in the page (`data-l10n` on <body>: VS Code's l10n
 * bundle for the display language, empty in English). So one bundle, exported from the sources by
 * `@vscode/l10n-dev` as for the host's `vscode.l10n.t`, translates the host and the webviews alike.
 */

/** A bundle as VS Code keeps it: the English message to its translation, or to one with a comment. */
export type L10nBundle = Record<string, string | { message: string; comment?: string[] }>;

/** `message` translated by `bundle`, with `{0}`, `{1}`… replaced by `args`; English when the bundle has no entry. */
export function translate(bundle: L10nBundle, message: string, args: readonly (string | number)[]): string {
  const entry = bundle[message];
  const text = typeof entry === 'string' ? entry : (entry?.message ?? message);
  return text.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));
}

let pageBundle: L10nBundle | undefined;

/** The page's bundle, read once. Outside a page (the unit tests) there is none: English. */
function bundle(): L10nBundle {
  if (pageBundle) return pageBundle;
  const raw = typeof document === 'undefined' ? undefined : document.body?.dataset.l10n;
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : {};
  } catch {
    parsed = {};
  }
  pageBundle = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as L10nBundle) : {};
  return pageBundle;
}

export const l10n = {
  t: (message: string, ...args: (string | number)[]): string => translate(bundle(), message, args),
};
