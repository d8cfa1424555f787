import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'e2e/node_modules/**', 'e2e/.work/**', 'runs/**', 'test-output/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js', 'bin/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Webviews run in a browser; e2e tests pass functions into the browser page (page.evaluate).
  { files: ['webview/**', 'e2e/**'], languageOptions: { globals: { ...globals.browser } } },
  // The layers, floor by floor (README, "Architecture"): each may import only what lies below it.
  // protocol/ (decoders and types) < shared/ (run folders, atomic writes, the trainer client, CSV,
  // user errors) < the hosts (extension/, cli/) and the trainer; the webview sees only protocol/.
  {
    files: ['src/protocol/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'], patterns: [{ group: ['@tensorflow/*'], message: 'The protocol is plain data and decoders.' }, { group: ['**/shared/*', '**/trainer/*', '**/extension/*', '**/cli/*'], message: 'The protocol is the bottom layer: it imports nothing of GenLab but itself.' }] }] },
  },
  {
    files: ['src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The shared layer serves the CLI and the trainer too, which run outside VS Code.' }], patterns: [{ group: ['@tensorflow/*'], message: 'The shared layer must load no TensorFlow.js: the extension host imports it.' }, { group: ['**/trainer/*', '**/extension/*', '**/cli/*'], message: 'The shared layer sits below the hosts and the trainer.' }] }] },
  },
  {
    files: ['src/extension/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*'], message: 'The extension host never loads TensorFlow.js: training runs in the trainer process.' }, { group: ['**/trainer/*', '**/cli/*'], message: 'The extension reaches the trainer only through src/shared (the trainer client, run folders).' }] }] },
  },
  {
    files: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'], patterns: [{ group: ['@tensorflow/*'], message: 'The CLI is a host: training runs in the trainer process.' }, { group: ['**/trainer/*', '**/extension/*'], message: 'The CLI reaches the trainer only through src/shared.' }] }] },
  },
  {
    // genlab/log runs in a person's own Node script: the shared layer and the protocol, nothing else.
    files: ['src/log/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'], patterns: [{ group: ['@tensorflow/*'], message: 'genlab/log loads no TensorFlow.js: the script brings its own, or none.' }, { group: ['**/trainer/*', '**/extension/*', '**/cli/*'], message: 'genlab/log sits on the shared layer, beside the hosts.' }] }] },
  },
  {
    // The trainer runs outside VS Code (child process and CLI): it must never import the editor API.
    files: ['src/trainer/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'], patterns: [{ group: ['**/extension/*', '**/cli/*'], message: 'The trainer is below the hosts.' }] }] },
  },
  {
    // The webview has no Node, and sees GenLab only through the protocol.
    files: ['webview/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'vscode'], message: 'A webview runs in a browser: no Node, no editor API.' }, { group: ['**/src/*', '!**/src/protocol'], message: 'Webviews import only src/protocol and their own code.' }] }] },
  },
);
