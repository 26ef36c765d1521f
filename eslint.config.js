// Lint config: typescript-eslint's recommended rules plus the few project rules that keep the
// engine deterministic (no Math.random, no Date.now in src/engine and src/protocol).
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.d.ts', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/engine/**', 'src/protocol/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'The engine uses a seeded PRNG only.' },
        { object: 'Date', property: 'now', message: 'The engine and protocol take no clock; inject time.' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No wall clock in the engine.' },
      ],
    },
  },
)
