// ESLint flat config: typescript-eslint's recommended rules plus the module boundary rule.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = path.join(root, 'src', 'modules');
// Every folder under src/modules is a module; read at lint time so new modules are covered.
const moduleNames = fs.existsSync(modulesDir)
  ? fs
      .readdirSync(modulesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
  : [];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Anything but the module's index (`x`, `x/`, `x/index`, `x/index.js` are the public API) and
// its dependency-free browser API (`x/browser`), which page bundles import.
const internal = '(?!(index|browser)(\\.[jt]s)?$)[^/].*';
const boundaryMessage =
  'Reach another module only through its index.ts (its public API); its other files are internal.';

/** Import specifiers that reach into a module's internals from code outside src/modules. */
const fromOutside = { regex: `(^|/)modules/[^/]+/${internal}`, message: boundaryMessage };
/** From src/modules/*.ts (the registry): `./<module>/<file>`. */
const fromRegistry = { regex: `^\\./[^/]+/${internal}`, message: boundaryMessage };
/** From inside module `own`: relative paths that climb into a sibling module. */
const fromModule = (own) => {
  const others = moduleNames.filter((m) => m !== own).map(escape);
  return [
    fromOutside,
    ...(others.length
      ? [{ regex: `^(\\.\\./)+(${others.join('|')})/${internal}`, message: boundaryMessage }]
      : []),
  ];
};
const noRepositories = {
  regex: '\\.repository(\\.[jt]s)?$',
  message: 'Workers use module APIs (index.ts) and src/shared, never a repository.',
};

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'src/generated/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'var/**',
      'src/web/static/build/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  { files: ['**/*.cjs', 'jest.config.js'], languageOptions: { sourceType: 'commonjs' } },
  { files: ['src/web/static/**/*.js'], languageOptions: { globals: { ...globals.browser } } },

  // Module boundaries. Each file matches exactly one of these blocks, because a later block's
  // options for the same rule replace an earlier block's rather than adding to them.
  {
    files: ['**/*.{ts,mts,cts,js,mjs}'],
    ignores: ['src/modules/**', 'workers/**'],
    rules: restrict([fromOutside]),
  },
  { files: ['workers/**/*.{ts,mts,cts,js,mjs}'], rules: restrict([fromOutside, noRepositories]) },
  { files: ['src/modules/*.{ts,mts,cts,js,mjs}'], rules: restrict([fromOutside, fromRegistry]) },
  ...moduleNames.map((m) => ({
    files: [`src/modules/${m}/**/*.{ts,mts,cts,js,mjs}`],
    rules: restrict(fromModule(m)),
  })),
);
