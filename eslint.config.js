// Lint rules only; layout is Prettier's (.prettierrc.json), so eslint-config-prettier comes last. Why ESLint: docs/decisions.md, "House style".
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'native/build/', 'build/', 'test-artifacts/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with its own tsconfig: the root one, or web/tsconfig.json for the browser UI.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The two rules that catch a daemon's real bugs: a promise nobody awaits or catches, and one handed where a callback's result is ignored.
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // `return promise` inside try/catch/finally skips the catch and runs the finally too early.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // tsc's noUnusedLocals/noUnusedParameters report unused names (with the `_` convention), and they count a use as a type, which this rule does not.
      '@typescript-eslint/no-unused-vars': 'off',
      // `any` is kept to untyped edges (raw frames in tests, journal replay, descriptor generics); tsc strict covers the rest,
      // and typing ~500 test reads of JSON would add nothing.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `list[i]!` marks an element the code knows is there (noUncheckedIndexedAccess is off, so the checker calls it needless);
      // 391 such marks, no bug among them.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` without `await` is how a function meets a Promise-returning signature (oclif hooks and parsers, handlers) and turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // An AbortSignal's reason (typed any) is what an aborted wait rejects with, as Node's own APIs do.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A `never` here is a variable set in a callback that tsc narrowed too eagerly, not a value that cannot be printed.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNever: true }],
      // MethodMap and NotificationMap are interfaces so that `declare module` augmentation can extend them.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // Log and id sanitising match control characters on purpose.
      'no-control-regex': 'off',
      // The log format pads levels with two spaces, and the tests' regexes say so literally.
      'no-regex-spaces': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
