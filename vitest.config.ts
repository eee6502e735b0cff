import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import type { FakeBases } from './test/fakes/index.ts';
import { FAKE_WORKPLACE_SECRET } from './test/fakes/workplace.ts';
import { quietRuntimeLogs } from './test/quiet-runtime.ts';

export default defineConfig(async () => {
  // Tests reach the Worker through exports.default.fetch(), which never serves static assets;
  // with wrangler.toml's [assets] the pool also puts the assets router in front of the Worker,
  // which made timing-sensitive tests (Slack pacing) fail under load. They run on a copy of
  // wrangler.toml without [assets] and [build] (beside it, so its relative paths still hold).
  const testConfig = path.join(import.meta.dirname, '.wrangler.vitest.toml');
  writeFileSync(
    testConfig,
    readFileSync(path.join(import.meta.dirname, 'wrangler.toml'), 'utf8').replace(
      /^\[(assets|build)\]\n(?:(?!\[)[^\n]*\n)*/gm,
      '',
    ),
  );
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest(({ inject }) => {
        const fakes = inject<FakeBases>('fakes');
        return {
          wrangler: { configPath: testConfig },
          miniflare: {
            bindings: {
              TEST_MIGRATIONS: migrations,
              AUTH_JWT_SECRET: 'test-auth-secret-0123456789abcdef0123456789',
              SECRETS_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
              PUBLIC_BASE_URL: 'https://renkei.test',
              CORS_ORIGINS: 'https://app.workplace.test',
              SLACK_API_BASE: fakes.slackApiBase,
              GOOGLE_CHAT_WEBHOOK_ORIGIN: fakes.googleChatOrigin,
              LINE_API_BASE: fakes.lineApiBase,
              LINE_ACCESS_BASE: fakes.lineAccessBase,
              LINE_WORKS_AUTH_BASE: fakes.lineWorksAuthBase,
              LINE_WORKS_API_BASE: fakes.lineWorksApiBase,
              WORKPLACE_WEBHOOK_URL: fakes.workplaceWebhookUrl,
              WORKPLACE_WEBHOOK_SECRET: FAKE_WORKPLACE_SECRET,
              // A short retry budget so giving up is quick to test (12 in wrangler.toml).
              DECISION_MAX_ATTEMPTS: '4',
            },
          },
        };
      }),
    ],
    test: {
      // Quiet tests: a test's console output (the Worker's JSON logs) shows only if it fails,
      // and so does workerd's own output (test/quiet-runtime.ts).
      silent: 'passed-only',
      reporters: ['default', quietRuntimeLogs()],
      globalSetup: ['./test/global-setup.ts'],
      setupFiles: ['./test/apply-migrations.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
