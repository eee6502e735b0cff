/**
 * The small page LINE Login redirects members to: the outcome in the member's language
 * (JA / EN / KO) and, once logged in, the company official account's add-friend QR code with
 * the link itself for phones. Shows no secret, token, state or code.
 */
import QRCode from 'qrcode';
import type { Locale } from '../adapters/types.ts';
import type { CallbackOutcome } from '../domain/line-link/login.ts';
import { catalog } from '../i18n/catalogs.ts';
import { textToBase64 } from '../lib/base64.ts';

/** The page's locale when the member is not known: the browser's first ja/en/ko preference. */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale {
  for (const part of (header ?? '').split(',')) {
    const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (tag.startsWith('ja')) return 'JA';
    if (tag.startsWith('ko')) return 'KO';
    if (tag.startsWith('en')) return 'EN';
  }
  return 'JA';
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** The add-friend link as an SVG QR code (qrcode's pure-JS SVG renderer, no canvas). */
export async function friendQrSvg(friendUrl: string): Promise<string> {
  return QRCode.toString(friendUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

/** The HTTP status that goes with an outcome. */
export function pageStatus(outcome: CallbackOutcome): number {
  switch (outcome.kind) {
    case 'linked':
    case 'pending_friend':
    case 'denied':
      return 200;
    case 'failed':
      return outcome.rejected ? 400 : 502;
    case 'taken':
      return 409;
    case 'not_configured':
      return 409;
    default:
      return 400;
  }
}

/** The whole HTML document for a callback outcome. */
export async function renderCallbackPage(
  outcome: CallbackOutcome,
  fallbackLocale: Locale,
): Promise<string> {
  const locale = 'locale' in outcome ? outcome.locale : fallbackLocale;
  const c = catalog(locale);
  const t = c.linePage;
  let body: string;
  if (outcome.kind === 'linked' || outcome.kind === 'pending_friend') {
    const svg = await friendQrSvg(outcome.friendUrl);
    const state = outcome.kind === 'linked' ? t.linked : t.pendingFriend;
    body = `<p class="state" id="state" data-status="${outcome.kind === 'linked' ? 'LINKED' : 'PENDING_FRIEND'}">${escapeHtml(state)}</p>
<p>${escapeHtml(t.scan)}</p>
<img id="friend-qr" width="240" height="240" alt="${escapeHtml(t.qrAlt)}" src="data:image/svg+xml;base64,${textToBase64(svg)}">
<p>${escapeHtml(t.openOnPhone)}: <a id="friend-url" href="${escapeHtml(outcome.friendUrl)}">${escapeHtml(outcome.friendUrl)}</a></p>`;
  } else {
    const message = {
      invalid: t.invalid,
      expired: t.expired,
      denied: t.denied,
      failed: t.failed,
      not_configured: t.notConfigured,
      taken: t.taken,
    }[outcome.kind];
    body = `<p class="state" id="state" data-status="${outcome.kind.toUpperCase()}">${escapeHtml(message)}</p>
<p>${escapeHtml(t.again)}</p>`;
  }
  return `<!doctype html>
<html lang="${c.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(t.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.6}img{display:block;margin:1rem auto;image-rendering:pixelated}.state{font-weight:bold}a{word-break:break-all}</style>
</head>
<body>
<h1>${escapeHtml(t.title)}</h1>
${body}
</body>
</html>`;
}
