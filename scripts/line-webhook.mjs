#!/usr/bin/env node
/**
 * Sends LINE-style webhook events to a local Renkei (`npm start`), signed the way LINE signs
 * them (x-line-signature = base64(HMAC-SHA256(Messaging channel secret, raw body))):
 *
 *   node scripts/line-webhook.mjs follow|unfollow [lineUserId] [tenant]
 *
 * Defaults: the demo fakes' LINE user U1234567890abcdef1234567890abcdef, tenant "demo" and the
 * demo Messaging channel secret (set LINE_CHANNEL_SECRET for another one). A follow is sent
 * with a reply token issued by the fake LINE API, so the completion message shows up in
 * GET {LINE_API_BASE}/__fake/requests?path=/v2/bot/message/reply.
 */
import { createHmac, randomBytes } from 'node:crypto';

const [type = 'follow', userId = 'U1234567890abcdef1234567890abcdef', tenant = 'demo'] =
  process.argv.slice(2);
if (type !== 'follow' && type !== 'unfollow') {
  console.error('usage: node scripts/line-webhook.mjs follow|unfollow [lineUserId] [tenant]');
  process.exit(2);
}
const base = process.env.RENKEI_URL ?? `http://localhost:${process.env.PORT ?? 8787}`;
const lineApi = process.env.LINE_API_BASE ?? 'http://127.0.0.1:8792';
const secret = process.env.LINE_CHANNEL_SECRET ?? 'demo-messaging-secret';

let replyToken;
if (type === 'follow') {
  const res = await fetch(`${lineApi}/__fake/reply-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  }).catch(() => null);
  replyToken = res?.ok ? (await res.json()).replyToken : randomBytes(16).toString('hex');
}
const body = JSON.stringify({
  destination: 'U0000000000000000000000000000b07',
  events: [
    {
      type,
      mode: 'active',
      timestamp: Date.now(),
      source: { type: 'user', userId },
      webhookEventId: `01${randomBytes(12).toString('hex').toUpperCase()}`,
      deliveryContext: { isRedelivery: false },
      ...(replyToken ? { replyToken, follow: { isUnblocked: false } } : {}),
    },
  ],
});
const signature = createHmac('sha256', secret).update(body).digest('base64');
const res = await fetch(`${base}/line/webhook/${encodeURIComponent(tenant)}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-line-signature': signature },
  body,
});
console.log(`${type} ${userId} → ${res.status} ${await res.text()}`);
