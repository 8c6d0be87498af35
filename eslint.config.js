import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'web/dist/', 'test-results/', 'bench/results/', 'db/migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // The web pages: the rules of hooks, including the React Compiler's checks of render purity.
  { files: ['web/src/**/*.{ts,tsx}'], ...reactHooks.configs.flat['recommended-latest'] },
  {
    // Workflow code is replayed: it must stay deterministic, so no Node modules and no I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Workflow code must be deterministic: no Node modules.' },
            {
              regex: '^(fs|path|crypto|http|https|os|child_process|net|dns|stream|url|util|zlib|worker_threads)(/|$)',
              message: 'Workflow code must be deterministic: no Node modules.',
            },
            {
              regex: '^(\\.\\./)+(activities|api|db)/',
              allowTypeImports: true,
              message: 'Workflows may import activity, API and database types only.',
            },
          ],
        },
      ],
    },
  },
);
