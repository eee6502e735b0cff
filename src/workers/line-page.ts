/**
 * The small page LINE Login redirects members to: the outcome in the member's language
 * (JA / EN / KO) and, once logged in, the company official account's add-friend QR code with
 * the link itself for phones. Shows no secret, token, state or code.
 */
import QRCode from 'qrcode';
import type { Locale } from '../adapters/types.ts';
import type { CallbackOutcome } from '../domain/line-link/login.ts';

interface PageCopy {
  title: string;
  linked: string;
  pendingFriend: string;
  scan: string;
  openOnPhone: string;
  qrAlt: string;
  expired: string;
  invalid: string;
  denied: string;
  failed: string;
  notConfigured: string;
  taken: string;
  again: string;
}

const COPY: Record<Locale, PageCopy> = {
  JA: {
    title: 'LINE 連携',
    linked: '連携が完了しました。WORKPLACE の通知が LINE に届きます。',
    pendingFriend: 'あと少しです。会社の LINE 公式アカウントを友だち追加すると連携が完了します。',
    scan: 'LINE アプリで QR コードを読み取り、友だち追加してください。',
    openOnPhone: 'スマートフォンではこちらのリンクを開いてください',
    qrAlt: '友だち追加用 QR コード',
    expired: 'このリンクは使用済みか、有効期限(10 分)が切れています。',
    invalid: 'このリンクは正しくありません。',
    denied: 'LINE ログインがキャンセルされました。連携は変更されていません。',
    failed: 'LINE ログインを確認できませんでした。連携は変更されていません。',
    notConfigured: 'この会社では LINE 連携が有効になっていません。管理者にお問い合わせください。',
    taken: 'この LINE アカウントは別のメンバーに連携されています。',
    again: 'WORKPLACE のマイ情報から、もう一度「認証」を押してください。',
  },
  EN: {
    title: 'LINE linking',
    linked: 'Linked. WORKPLACE notifications will arrive in LINE.',
    pendingFriend: "Almost done: add the company's LINE official account as a friend to finish.",
    scan: 'Scan the QR code with the LINE app and add the account as a friend.',
    openOnPhone: 'On a phone, open this link instead',
    qrAlt: 'QR code to add the official account as a friend',
    expired: 'This link has already been used or has expired (10 minutes).',
    invalid: 'This link is not valid.',
    denied: 'LINE Login was cancelled. Nothing was changed.',
    failed: 'LINE Login could not be confirmed. Nothing was changed.',
    notConfigured: 'LINE is not enabled for your company. Please ask your administrator.',
    taken: 'This LINE account is already linked to another member.',
    again: 'Start again from My information in WORKPLACE.',
  },
  KO: {
    title: 'LINE 연동',
    linked: '연동이 완료되었습니다. WORKPLACE 알림이 LINE으로 전송됩니다.',
    pendingFriend: '거의 다 되었습니다. 회사 LINE 공식 계정을 친구 추가하면 연동이 완료됩니다.',
    scan: 'LINE 앱으로 QR 코드를 스캔하여 친구 추가해 주세요.',
    openOnPhone: '스마트폰에서는 이 링크를 열어 주세요',
    qrAlt: '친구 추가용 QR 코드',
    expired: '이미 사용되었거나 유효 기간(10분)이 지난 링크입니다.',
    invalid: '올바르지 않은 링크입니다.',
    denied: 'LINE 로그인이 취소되었습니다. 연동은 변경되지 않았습니다.',
    failed: 'LINE 로그인을 확인할 수 없습니다. 연동은 변경되지 않았습니다.',
    notConfigured: '이 회사에서는 LINE 연동이 활성화되어 있지 않습니다. 관리자에게 문의해 주세요.',
    taken: '이 LINE 계정은 다른 멤버에게 연동되어 있습니다.',
    again: 'WORKPLACE 내 정보에서 다시 「인증」을 눌러 주세요.',
  },
};

const LANG: Record<Locale, string> = { JA: 'ja', EN: 'en', KO: 'ko' };

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

function toBase64(text: string): string {
  let s = '';
  for (const b of new TextEncoder().encode(text)) s += String.fromCharCode(b);
  return btoa(s);
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
  const t = COPY[locale] ?? COPY.JA;
  let body: string;
  if (outcome.kind === 'linked' || outcome.kind === 'pending_friend') {
    const svg = await friendQrSvg(outcome.friendUrl);
    const state = outcome.kind === 'linked' ? t.linked : t.pendingFriend;
    body = `<p class="state" id="state" data-status="${outcome.kind === 'linked' ? 'LINKED' : 'PENDING_FRIEND'}">${escapeHtml(state)}</p>
<p>${escapeHtml(t.scan)}</p>
<img id="friend-qr" width="240" height="240" alt="${escapeHtml(t.qrAlt)}" src="data:image/svg+xml;base64,${toBase64(svg)}">
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
<html lang="${LANG[locale]}">
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
