#!/usr/bin/env node
/**
 * Real-browser test of GraphiQL at /graphql (`npm run test:browser`), on a machine with no
 * network beyond loopback: every request chromium attempts to a host other than 127.0.0.1 /
 * localhost is aborted and fails the test, and so does any Content-Security-Policy violation.
 * Starts the provider fakes and `wrangler dev` (temporary state), opens /graphql, pastes an admin
 * token into GraphiQL's Headers editor, runs `viewer` and sees it in the result pane, then runs a
 * `deliveryUpdated` subscription (SSE through the tenant's DeliveryHub), sends a test
 * notification over HTTP and sees the delivery's update arrive in the result pane; the token
 * must not end up in the browser's storage. The screenshot goes to test/browser/output/graphiql.png.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it) or CHROMIUM_PATH.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startScratchWorker } from '../../scripts/local-stack.mjs';
import { startFakes } from '../fakes/index.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.join(import.meta.dirname, 'output');
const SCREENSHOT = path.join(OUTPUT, 'graphiql.png');
const TENANT = 'graphiql-test';
const MEMBER = 'tanaka';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Waits until `check()` is truthy, polling; fails with `what` after `ms`. */
async function until(what, check, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const QUERY_EDITOR = '.graphiql-query-editor';
const HEADERS_EDITOR =
  'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)';
const RESULT = '.graphiql-response .result-window';
const RUN = '.graphiql-execute-button';

/**
 * What a Monaco pane shows: its rendered lines in screen order (Monaco reuses line elements, so
 * DOM order is not line order) with U+00A0, Monaco's drawn space, as a space.
 */
function paneText(page, selector) {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(`${sel} .view-lines .view-line`)]
        .sort((a, b) => Number.parseFloat(a.style.top) - Number.parseFloat(b.style.top))
        .map((line) => line.textContent.replace(/\u00a0/g, ' '))
        .join('\n'),
    selector,
  );
}

/** Replaces the contents of the Monaco editor under `selector` as an admin pasting would. */
async function pasteInto(page, selector, text) {
  await page.locator(`${selector} .monaco-editor`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

const cleanup = [];
let page = null;
/** Requests chromium attempted to any host but loopback (all aborted). */
const offsite = [];
async function main() {
  const fakes = await startFakes();
  cleanup.push(() => fakes.close());

  const dev = await startScratchWorker({
    label: 'graphiql',
    tenant: TENANT,
    vars: {
      GOOGLE_CHAT_WEBHOOK_ORIGIN: fakes.bases.googleChatOrigin,
    },
  });
  cleanup.push(() => dev.stop());
  const { base, gql, token } = dev;

  // A tenant whose member gets Google Chat test messages (the fake on 127.0.0.1).
  const admin = await token('admin', 'admin-1');
  await gql(
    await token('service', 'workplace'),
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
    { u: [{ userId: MEMBER, displayName: '田中 一郎', locale: 'JA' }] },
  );
  const chat = await gql(
    admin,
    'mutation { configureGoogleChat(input: { enabled: true }) { errors { message } } }',
  );
  assert.deepEqual(chat.configureGoogleChat.errors, []);
  const bound = await gql(
    await token('user', MEMBER),
    'mutation ($i: UpdateMyBindingsInput!) { updateMyBindings(input: $i) { errors { message } } }',
    {
      i: {
        googleChatWebhookUrl: `${fakes.bases.googleChatOrigin}/v1/spaces/AAAAGRAPHIQL/messages?key=k&token=t`,
      },
    },
  );
  assert.deepEqual(bound.updateMyBindings.errors, []);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOOPBACK.has(url.hostname)) return route.continue();
    offsite.push(url.href);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (LOOPBACK.has(new URL(req.url()).hostname)) {
      problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`);
    }
  });

  const response = await page.goto(`${base}/graphql`);
  assert.equal(response?.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /https?:|\*/, 'the page allows no other origin');

  await page.locator('.graphiql-container .graphiql-query-editor .monaco-editor').waitFor();
  // The admin pastes the token into Headers and runs the query.
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  await pasteInto(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${admin}` }));
  await pasteInto(page, QUERY_EDITOR, '{ viewer { tenantId userId role } }');
  await page.locator(RUN).click();
  const viewer = await until('the viewer in the result pane', async () => {
    const text = await paneText(page, RESULT);
    return text?.includes('"role"') ? text : null;
  });
  assert.deepEqual(JSON.parse(viewer).data.viewer, {
    tenantId: TENANT,
    userId: 'admin-1',
    role: 'ADMIN',
  });

  // A live subscription: the update of a test notification arrives in the result pane.
  await pasteInto(
    page,
    QUERY_EDITOR,
    'subscription { deliveryUpdated { status channel user { userId } } }',
  );
  await page.locator('[aria-label^="Prettify query"]').click();
  const stream = page.waitForResponse(
    (r) =>
      r.url().startsWith(`${base}/graphql`) &&
      (r.request().headers().accept ?? '').includes('text/event-stream'),
  );
  await page.locator(RUN).click();
  const streamed = await stream;
  assert.equal(streamed.status(), 200);
  const update = await until('a deliveryUpdated in the result pane', async () => {
    const sent = await gql(
      admin,
      `mutation ($u: String) { sendTestNotification(channel: GOOGLE_CHAT, userId: $u) {
        delivery { id } errors { message } } }`,
      { u: MEMBER },
    );
    assert.deepEqual(sent.sendTestNotification.errors, []);
    await new Promise((r) => setTimeout(r, 1_000));
    const text = await paneText(page, RESULT);
    return text?.includes('"deliveryUpdated"') ? text : null;
  });
  const { deliveryUpdated } = JSON.parse(update).data;
  assert.equal(deliveryUpdated.channel, 'GOOGLE_CHAT');
  assert.equal(deliveryUpdated.user.userId, MEMBER);
  assert.match(deliveryUpdated.status, /^(QUEUED|SENDING|SENT)$/);
  await until('the delivery to reach SENT in the result pane', async () =>
    (await paneText(page, RESULT))?.includes('"SENT"'),
  );
  await page.screenshot({ path: SCREENSHOT });

  // The pasted token is not written to the browser's storage: a reload forgets it.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(stored.includes('deliveryUpdated'), 'GraphiQL keeps its tabs');
  assert.ok(!stored.includes(admin), 'the bearer token is not stored');

  assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
  assert.deepEqual(problems, [], 'no CSP violation, page error or failed request');
  console.log(
    `ok: GraphiQL offline in chromium (query + deliveryUpdated); screenshot ${SCREENSHOT}`,
  );
}

mkdirSync(OUTPUT, { recursive: true });
try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
  if (page) {
    const shot = path.join(OUTPUT, 'graphiql-failure.png');
    await page.screenshot({ path: shot }).catch(() => undefined);
    console.error(`screenshot of the failure: ${shot}`);
  }
  if (offsite.length) console.error('requests beyond loopback (aborted):', offsite);
} finally {
  for (const fn of cleanup.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
}
