import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.workflows/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Time comes from a Clock; the workflow runtime reads it only from the task it replays.
    files: ['libs/**/*.ts', 'src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/protocol/src/clock.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Read time from a Clock (see STYLE.md).' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read time from a Clock (see STYLE.md).' },
      ],
    },
  },
);
