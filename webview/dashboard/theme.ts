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

/**
 * The first of the theme variables `names` that is set; else the page's text colour (base.css sets
 * it from --vscode-foreground), so that no colour of GenLab's own stands in for the theme's.
 */
export function themeColour(style: CSSStyleDeclaration, ...names: string[]): string {
  for (const name of names) {
    const value = style.getPropertyValue(name).trim();
    if (value) return value;
  }
  return style.color;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readChartTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const foreground = themeColour(style, '--vscode-charts-foreground', '--vscode-foreground');
  return {
    foreground,
    muted: themeColour(style, '--vscode-descriptionForeground', '--vscode-charts-foreground', '--vscode-foreground'),
    grid: themeColour(style, '--vscode-editorWidget-border', '--vscode-charts-lines', '--vscode-widget-border', '--vscode-descriptionForeground'),
    series: ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'].map((name) =>
      themeColour(style, name, '--vscode-charts-foreground', '--vscode-foreground'),
    ),
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
