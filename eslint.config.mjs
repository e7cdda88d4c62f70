import nx from '@nx/eslint-plugin';

// Module boundaries in two dimensions (scope and type), as the old nx-examples matrix did:
// apps never import each other, and each kind of lib may only use the kinds below it.
const scopes = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider', 'system'];
const depConstraints = [
  ...scopes.map((s) => ({ sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'] })),
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:messaging', 'type:contracts', 'type:telemetry', 'type:testing'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts'] },
  // Operator tools (tools/audit) read what the services share: topology, migrations, contracts;
  // tools/trace the testing lib's types of Jaeger's query API (type imports only: see its spans.ts).
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:platform', 'type:messaging', 'type:contracts', 'type:testing'] },
  // platform's logs apply telemetry's secret rules (its index exports only those, not the SDK).
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:messaging', 'type:contracts', 'type:telemetry'] },
  { sourceTag: 'type:messaging', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:telemetry', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/webpack.config.js', '**/jest.config.cts'] },
  {
    files: ['**/*.ts', '**/*.js'],
    rules: {
      // No enforceBuildableLibDependency: no lib is built on its own (apps bundle their sources; a
      // lib's one target is its `typecheck`), so there is no buildable lib for the rule to protect.
      '@nx/enforce-module-boundaries': ['error', { depConstraints }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Specs may also use the testing lib (resources, clients, Jaeger helpers).
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: depConstraints.map((c) =>
            c.sourceTag.startsWith('type:') ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] } : c,
          ),
        },
      ],
    },
  },
  {
    // Only the telemetry lib may touch the SDK; everything else uses @opentelemetry/api.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/telemetry/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@opentelemetry/sdk-*', '@opentelemetry/instrumentation*', '@opentelemetry/auto-instrumentations-*', '@opentelemetry/exporter-*', '@opentelemetry/resources'], message: 'Only libs/telemetry uses the SDK; import @opentelemetry/api.' }] },
      ],
    },
  },
];
