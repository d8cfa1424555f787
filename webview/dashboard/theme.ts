/**
 * Chart colours and fonts from VS Code's theme variables. VS Code puts the `--vscode-*` variables
 * on <html> and the theme kind on <body>'s class; both change when the user switches theme.
 */

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  series: string[];
  fontFamily: string;
  fontSize: number;
  highContrast: boolean;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readChartTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const dark = !document.body.classList.contains('vscode-light');
  const foreground = cssVar(style, '--vscode-charts-foreground', cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#3b3b3b'));
  return {
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', foreground),
    grid: cssVar(style, '--vscode-editorWidget-border', cssVar(style, '--vscode-charts-lines', dark ? '#454545' : '#c8c8c8')),
    series: [
      cssVar(style, '--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff'),
      cssVar(style, '--vscode-charts-orange', '#d18616'),
      cssVar(style, '--vscode-charts-green', dark ? '#89d185' : '#388a34'),
      cssVar(style, '--vscode-charts-purple', dark ? '#b180d7' : '#652d90'),
      cssVar(style, '--vscode-charts-red', dark ? '#f14c4c' : '#e51400'),
      cssVar(style, '--vscode-charts-yellow', dark ? '#cca700' : '#bf8803'),
    ],
    fontFamily: cssVar(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar(style, '--vscode-font-size', '13px')) || 13,
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

/** Calls `onChange` when the theme kind or the theme's variables change. */
export function watchTheme(onChange: () => void): void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
