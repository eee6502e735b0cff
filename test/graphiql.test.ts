// Integration: GET /graphql from a browser is GraphiQL, loaded from Renkei's own assets only.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantId, token } from './helpers.ts';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function openGraphiQL(headers: Record<string, string> = {}) {
  return exports.default.fetch('https://renkei.test/graphql', {
    headers: { accept: BROWSER_ACCEPT, ...headers },
  });
}

describe('GraphiQL page', () => {
  it('references only same-origin files and forbids every other origin', async () => {
    const res = await openGraphiQL();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual(
      expect.arrayContaining(['/graphiql/yoga-graphiql.umd.js', '/graphiql/graphiql.css']),
    );
    for (const ref of refs) expect(ref).toMatch(/^\/graphiql\/[\w.-]+$/);
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script may run: the options are a JSON data block, read by a same-origin script.
    for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) {
      expect(tag).toMatch(/\bsrc="\/graphiql\/|type="application\/json"/);
    }

    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['worker-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('shows the page without a token and embeds none', async () => {
    const bearer = await token(tenantId(), 'admin');
    const html = await (await openGraphiQL({ authorization: `Bearer ${bearer}` })).text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toContain(bearer);
  });

  it('still answers GraphQL over GET and POST for clients that do not ask for HTML', async () => {
    const bearer = await token(tenantId(), 'admin', 'alice');
    const get = await exports.default.fetch(
      `https://renkei.test/graphql?query=${encodeURIComponent('{ viewer { userId } }')}`,
      { headers: { accept: 'application/json', authorization: `Bearer ${bearer}` } },
    );
    expect(get.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(((await get.json()) as any).data.viewer.userId).toBe('alice');

    const post = await exports.default.fetch('https://renkei.test/graphql', {
      method: 'POST',
      headers: {
        accept: 'text/html, application/json',
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
      },
      body: JSON.stringify({ query: '{ viewer { userId } }' }),
    });
    expect(((await post.json()) as any).data.viewer.userId).toBe('alice');
  });
});
