import js from '@eslint/js';
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
