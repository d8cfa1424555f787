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
  {
    // The trainer runs outside VS Code (child process and CLI): it must never import the editor API.
    files: ['src/trainer/**', 'src/protocol/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'] }] },
  },
  {
    // The webview has no Node.
    files: ['webview/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'path', 'child_process', 'vscode'] }] },
  },
);
