/**
 * GraphiQL at `GET /graphql` (for a browser: `Accept: text/html`). The page loads GraphiQL from
 * this Worker's static assets under /graphiql/ (built from @graphql-yoga/graphiql by
 * scripts/build-assets.mjs), never from a CDN, and its Content-Security-Policy allows no other
 * origin: admins paste bearer tokens and provider secrets here.
 */

/** yoga's rule for serving GraphiQL instead of executing a GET query. */
export function wantsGraphiQL(request: Request): boolean {
  return request.method === 'GET' && !!request.headers.get('accept')?.includes('text/html');
}

const TITLE = 'Renkei GraphQL';

const DEFAULT_QUERY = `# Paste a token from \`npm start\` into Headers: {"Authorization": "Bearer …"}
query {
  viewer { tenantId userId role }
}
`;

/** Options for yoga's renderYogaGraphiQL (the GraphiQL props it accepts). */
const OPTIONS = {
  title: TITLE,
  query: DEFAULT_QUERY,
  defaultQuery: DEFAULT_QUERY,
  // Bearer tokens stay in the editor, not in localStorage after the tab closes.
  shouldPersistHeaders: false,
};

/**
 * Monaco and GraphiQL add <style> elements at run time, hence 'unsafe-inline' for styles only;
 * scripts, editor workers, fonts and fetches are same-origin (fonts and icons are data: URLs
 * inside graphiql.css).
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': GRAPHIQL_CSP,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** JSON safe inside a <script> element: no `</script>` or `<!--` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLE}</title>
<link rel="icon" href="/graphiql/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/graphiql/graphiql.css">
<script id="graphiql-options" type="application/json">${scriptJson(OPTIONS)}</script>
<script src="/graphiql/yoga-graphiql.umd.js" defer></script>
<script src="/graphiql/renkei-graphiql.js" defer></script>
</head>
<body>
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root">Loading ${TITLE}…</div>
</body>
</html>
`;

export function graphiqlPage(): Response {
  return new Response(PAGE, { status: 200, headers: HEADERS });
}
