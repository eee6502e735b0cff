/**
 * `GET /digests/:id?t=<tenant>&s=<signature>`: the page behind a digest's "and N more", listing
 * every notification it carried with links to the documents. The signed link is the only key
 * (members open it from the chat, without a Renkei token); anything else is a plain 404.
 */
import { Hono } from 'hono';
import { linkUrl, renderText } from '../adapters/messages.ts';
import { findTenantDb } from '../db/shards.ts';
import { verifyDigestLink } from '../domain/preferences/digest-link.ts';
import { type DigestListing, digestListing } from '../domain/preferences/digest-list.ts';
import { catalog } from '../i18n/catalogs.ts';
import type { AppEnv } from './app-env.ts';
import { pageHeaders } from './page-headers.ts';

export const digestRoutes = new Hono<AppEnv>();

const PAGE_HEADERS = pageHeaders();

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  );
}

/** The list page: one entry per notification, newest first, each linked to its document. */
export function renderDigestPage(listing: DigestListing): string {
  const title = `${catalog(listing.locale, 'EN').digest.pageTitle} (${listing.total})`;
  const entries = listing.items
    .map((item) => {
      const heading = renderText({
        type: item.type,
        locale: listing.locale,
        documentId: '',
        title: item.title,
        url: item.url,
      }).heading;
      const url = linkUrl(item.url);
      const label = escapeHtml(heading);
      return `<li>${url ? `<a href="${escapeHtml(url)}">${label}</a>` : label} <time>${escapeHtml(item.createdAt)}</time></li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="${listing.locale.toLowerCase()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.5rem 0}time{color:#777;font-size:.8em}</style>
</head><body><h1>${escapeHtml(title)}</h1>
<ol id="items">
${entries}
</ol></body></html>`;
}

digestRoutes.get('/:id', async function digestPage(c) {
  const id = c.req.param('id');
  const tenantId = c.req.query('t') ?? '';
  const signature = c.req.query('s') ?? '';
  const notFound = () => c.json({ error: 'Not found' }, 404);
  if (!/^[0-9a-f]{32}$/.test(id) || !tenantId || tenantId.length > 200 || !signature) {
    return notFound();
  }
  if (!(await verifyDigestLink(c.env.SECRETS_KEY, tenantId, id, signature))) return notFound();
  const db = await findTenantDb(c.env, tenantId);
  const listing = db ? await digestListing(db, tenantId, id) : null;
  if (!listing) return notFound();
  return c.body(renderDigestPage(listing), 200, PAGE_HEADERS);
});
