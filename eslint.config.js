// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['net', 'tls', 'http', 'https', 'http2', 'dns', 'dns/promises', 'dgram', 'fs', 'fs/promises', 'child_process', 'worker_threads', 'cluster'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.tmp/**', '**/*.tmp.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // A function a reader can hold in mind: split longer ones (docs/architecture.md, "Rules that keep it honest").
    files: ['packages/*/src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: false, skipComments: false }] },
  },
  {
    // CommonJS files (the `probe` bin, src/bundle-bin.cjs): Node's module scope.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // core/ is pure: bytes and an explicit clock in, data out. No I/O modules, no reading the clock.
    files: ['packages/probe-core/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // node:net's address-literal checks are string functions; the rest of it opens sockets.
          paths: IO_MODULES.flatMap((m) =>
            [m, `node:${m}`].map((name) => ({
              name,
              message: 'core/ is pure: do I/O in shell/.',
              ...(m === 'net' ? { allowImportNames: ['isIP', 'isIPv4', 'isIPv6'] } : {}),
            })),
          ),
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'core/ takes `now` as a parameter; do not read the clock.' },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'core/ takes `now` as a parameter; do not read the clock.',
        },
        {
          selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
          message: 'core/ takes `now` as a parameter; do not read the clock.',
        },
        {
          selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate|fetch)$/]',
          message: 'core/ is pure: timers and fetch belong in shell/.',
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ is pure: no process state.' }],
    },
  },
);
