/**
 * The Problems panel's entries for model modules: the type and syntax errors the trainer found
 * when it checked a module, and the line a run's code threw at. They belong to the module they
 * were found through (one module's fix does not clear another's), and an edit of a file clears
 * its entries, since they describe the text before it.
 */
import * as vscode from 'vscode';
import type { SourceProblem } from '../../protocol/modelModule';

export class ModuleProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('genlab.modules');
  /** The files each module's last check or run put entries on. */
  private readonly filesOf = new Map<string, string[]>();
  private readonly subscription = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.contentChanges.length) this.collection.delete(e.document.uri);
  });

  /** Replaces what is shown for `modulePath` with `problems` (none: the module checked clean). */
  set(modulePath: string, problems: readonly SourceProblem[]): void {
    for (const file of this.filesOf.get(modulePath) ?? []) this.collection.delete(vscode.Uri.file(file));
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problems) {
      const diagnostic = new vscode.Diagnostic(rangeOf(p), p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      diagnostic.source = 'GenLab';
      byFile.set(p.file, [...(byFile.get(p.file) ?? []), diagnostic]);
    }
    for (const [file, diagnostics] of byFile) this.collection.set(vscode.Uri.file(file), diagnostics);
    this.filesOf.set(modulePath, [...byFile.keys()]);
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}

/** The word at the problem's position where the file is open (what the squiggle should cover), else one character. */
function rangeOf({ file, line, column }: SourceProblem): vscode.Range {
  const at = new vscode.Position(line - 1, column - 1);
  const document = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  return document?.getWordRangeAtPosition(at) ?? new vscode.Range(at, at.translate(0, 1));
}
