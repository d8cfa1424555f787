/**
 * Checks of what a command was called with: the Explorer, a CodeLens, a menu, a test or another
 * extension may pass anything, so each argument is narrowed before it is used.
 */
import * as vscode from 'vscode';

export const uriArgument = (value: unknown): vscode.Uri | undefined => (value instanceof vscode.Uri ? value : undefined);

/** Settings or choices passed as one object (tests, experiment files, the walkthrough). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof vscode.Uri);
