/** Sample gallery webview entry (browser, no Node); built out in the extension issue. */
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

acquireVsCodeApi().postMessage({ type: 'ready' });
