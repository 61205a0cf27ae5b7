// ESLint for every package, the tests and the benchmarks: typescript-eslint's
// recommended rules plus the habits of ../shared/STYLE.md that a linter can
// check. Formatting is Prettier's (eslint-config-prettier turns off the rules
// that would fight it). `npm run lint` runs both; `npm run build` runs lint.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test-results/**', '.run/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Unused names are mistakes, except the deliberate `_`-prefixed ones.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Only the config module reads the environment (STYLE.md habit 3).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through core/src/node/config.ts' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    // The config module itself, scripts' entry points and tests may read the environment.
    files: ['core/src/node/config.ts', 'core/src/node/logger.ts', 'test/**', 'bench/**', 'simulators/src/cli.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
