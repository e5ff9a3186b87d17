// @ts-check
import nx from '@nx/eslint-plugin';
import eslintConfigPrettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Import directions of ARCHITECTURE.md, checked by Nx project tags. Each project carries one
 * `scope:` tag; a scope may import only the scopes listed here. The simulator may be imported by
 * the adapter's tests and benchmarks (see the override below), by service-host (demo mode) and by
 * e2e.
 */
const depConstraints = [
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:rules', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:broker', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:notifier', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:api-client', onlyDependOnLibsWithTags: ['scope:api-client'] },
  {
    sourceTag: 'scope:host',
    onlyDependOnLibsWithTags: [
      'scope:core',
      'scope:rules',
      'scope:broker',
      'scope:notifier',
      'scope:api-client',
      'scope:sim',
    ],
  },
  { sourceTag: 'scope:tui', onlyDependOnLibsWithTags: ['scope:api-client'] },
  { sourceTag: 'scope:sim', onlyDependOnLibsWithTags: ['scope:sim'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['*'] },
];

const testAndBenchFiles = ['**/*.spec.ts', '**/tests/**/*.ts', '**/bench/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/bench-results/**',
      '**/test-results/**',
      '**/.nx/**',
      '**/.riskd-demo/**',
      '**/*.d.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-throw-literal': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The adapter's tests and benchmarks run against the simulator (the named exception).
    files: testAndBenchFiles.map((glob) => `packages/broker-topstepx/${glob}`).concat(testAndBenchFiles),
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: depConstraints.map((c) =>
            c.sourceTag === 'scope:broker'
              ? { ...c, onlyDependOnLibsWithTags: ['scope:core', 'scope:sim'] }
              : c,
          ),
        },
      ],
    },
  },
  {
    // Project config files import the shared workspace configuration by path.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  eslintConfigPrettier,
);
