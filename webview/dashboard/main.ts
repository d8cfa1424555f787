/**
 * Dashboard webview entry (browser, no Node). It announces itself to the extension host, which
 * then replays the run's history; the live dashboard is built on this handshake.
 */
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

acquireVsCodeApi().postMessage({ type: 'ready' });
