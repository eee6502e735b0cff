/**
 * Headers of the small HTML pages Renkei serves itself (the LINE callback page, the digest
 * list): never cached, never framed, no referrer, and a CSP that allows only inline styles plus
 * what `extraSources` adds (e.g. `img-src data:` for the friend QR code).
 */
export function pageHeaders(extraSources = ''): Record<string, string> {
  const sources = extraSources ? ` ${extraSources};` : '';
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none';${sources} style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}
