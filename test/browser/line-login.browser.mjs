#!/usr/bin/env node
/**
 * Real-browser test of LINE member linking (`npm run test:browser`): starts the LINE fakes on
 * 127.0.0.1 and `wrangler dev` (temporary local state) pointed at them, configures a tenant over
 * GraphQL, calls startLineLogin, opens the authorize URL in Debian's chromium (playwright-core),
 * follows the fake LINE Login redirect to /line/callback and decodes the QR code as rendered on
 * the page: it must be the company's add-friend URL.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it) or CHROMIUM_PATH.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import jsQR from 'jsqr';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { startScratchWorker } from '../../scripts/local-stack.mjs';
import { startFakes } from '../fakes/index.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TENANT = 'browser-test';
const MEMBER = 'sato';
const line = {
  channelToken: `browser-${randomBytes(12).toString('hex')}`,
  loginChannelId: '1660000000',
  loginSecret: randomBytes(16).toString('hex'),
  messagingSecret: randomBytes(16).toString('hex'),
  userId: `U${randomBytes(16).toString('hex')}`,
  basicId: '@renkei-browser',
};
const friendUrl = `https://line.me/R/ti/p/${line.basicId}`;

const cleanup = [];
async function main() {
  const fakes = await startFakes({
    seed: {
      line: {
        bots: {
          [line.channelToken]: {
            userId: `U${randomBytes(16).toString('hex')}`,
            basicId: line.basicId,
            displayName: 'Renkei Browser Test',
          },
        },
        loginChannels: { [line.loginChannelId]: { secret: line.loginSecret } },
        users: { [line.userId]: { displayName: 'Sato Hanako', friend: false } },
        authorize: { userId: line.userId },
      },
    },
  });
  cleanup.push(() => fakes.close());

  const dev = await startScratchWorker({
    label: 'browser',
    tenant: TENANT,
    vars: {
      LINE_API_BASE: fakes.bases.lineApiBase,
      LINE_ACCESS_BASE: fakes.bases.lineAccessBase,
    },
  });
  cleanup.push(() => dev.stop());
  const { base, gql, token } = dev;

  const admin = await token('admin', 'admin-1');
  const member = await token('user', MEMBER);
  await gql(
    await token('service', 'workplace'),
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
    { u: [{ userId: MEMBER, displayName: '佐藤 花子', locale: 'JA' }] },
  );
  const configured = await gql(
    admin,
    `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { message } } }`,
    {
      i: {
        enabled: true,
        loginChannelId: line.loginChannelId,
        loginChannelSecret: line.loginSecret,
        messagingChannelSecret: line.messagingSecret,
        channelAccessToken: line.channelToken,
        friendUrl,
      },
    },
  );
  assert.deepEqual(configured.configureLine.errors, []);
  const started = await gql(
    member,
    'mutation { startLineLogin { authorizeUrl expiresAt errors { message } } }',
  );
  assert.deepEqual(started.startLineLogin.errors, []);
  const authorizeUrl = started.startLineLogin.authorizeUrl;
  assert.ok(authorizeUrl.startsWith(`${fakes.bases.lineAccessBase}/oauth2/v2.1/authorize?`));

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  const page = await browser.newPage({ locale: 'ja-JP', deviceScaleFactor: 2 });
  const response = await page.goto(authorizeUrl);
  assert.equal(response?.status(), 200);
  assert.ok(page.url().startsWith(`${base}/line/callback?`), `landed on ${page.url()}`);
  assert.equal(await page.getAttribute('#state', 'data-status'), 'PENDING_FRIEND');
  assert.match((await page.textContent('#state')) ?? '', /友だち追加/);
  assert.equal(await page.getAttribute('#friend-url', 'href'), friendUrl);
  const html = await page.content();
  for (const secret of [line.loginSecret, line.messagingSecret, line.channelToken]) {
    assert.ok(!html.includes(secret), 'the page shows no secret');
  }

  const qr = await page.locator('#friend-qr');
  await qr.waitFor({ state: 'visible' });
  const png = PNG.sync.read(await qr.screenshot());
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(decoded, 'the QR code on the page decodes');
  assert.equal(decoded.data, friendUrl);

  const me = await gql(member, '{ me { bindings { line { status displayName } } } }');
  assert.deepEqual(me.me.bindings.line, { status: 'PENDING_FRIEND', displayName: 'Sato Hanako' });

  // The same callback again (a replayed state) only gets the "used or expired" page.
  await page.reload();
  assert.equal(await page.getAttribute('#state', 'data-status'), 'EXPIRED');
  assert.equal(
    (await gql(member, '{ me { bindings { line { status } } } }')).me.bindings.line.status,
    'PENDING_FRIEND',
  );
  console.log(`ok: LINE login in chromium; QR code decodes to ${decoded.data}`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  for (const fn of cleanup.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
}
