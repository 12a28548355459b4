// Lint is part of `npm test`: typescript-eslint's recommended rules plus a few that catch
// the mistakes that matter in a streaming server (floating promises are caught by tsc strictness
// and review; here we keep the rule set fast enough for a 2-core CI).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['bench/**', 'scripts/**', 'src/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The studio talks to the service that served it and nothing else (no CDN, no fonts or
    // scripts from elsewhere): no absolute URLs in its code; its CSP refuses them anyway.
    files: ['web/src/**'],
    ignores: ['web/src/api/schema.d.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'Literal[value=/^(https?:)?\\/\\//]', message: 'The studio only calls its own origin: use a path, not a URL.' },
        { selector: 'TemplateElement[value.raw=/^(https?:)?\\/\\//]', message: 'The studio only calls its own origin: use a path, not a URL.' },
      ],
    },
  },
);
