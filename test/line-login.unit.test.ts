// Unit: the LINE Login state format, the callback page's locale and HTML, the LINE driver's
// reachability rules.
import { describe, expect, it } from 'vitest';
import { lineDriver } from '../src/domain/channels/line.ts';
import { linkCompletedText } from '../src/domain/line-link/friendship.ts';
import { encodeState, tenantOfState } from '../src/domain/line-link/login.ts';
import type { UserRow } from '../src/domain/users.ts';
import { localeFromAcceptLanguage, renderCallbackPage } from '../src/workers/line-page.ts';

describe('LINE Login state', () => {
  it('names the tenant and carries 256 random bits', () => {
    const a = encodeState('acme.co/東京');
    const b = encodeState('acme.co/東京');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(tenantOfState(a)).toBe('acme.co/東京');
  });

  it('refuses anything else', () => {
    for (const s of [null, undefined, '', 'x', 'a.b', `.${'A'.repeat(43)}`, `${'A'.repeat(400)}`]) {
      expect(tenantOfState(s)).toBeNull();
    }
    expect(tenantOfState(`_w.${'A'.repeat(43)}`)).toBeNull();
  });
});

describe('callback page', () => {
  it('picks ja / en / ko from Accept-Language, ja by default', () => {
    expect(localeFromAcceptLanguage('en-US,en;q=0.9')).toBe('EN');
    expect(localeFromAcceptLanguage('ko-KR,ko;q=0.8,en;q=0.5')).toBe('KO');
    expect(localeFromAcceptLanguage('fr-FR')).toBe('JA');
    expect(localeFromAcceptLanguage(null)).toBe('JA');
  });

  it('escapes what it shows and embeds the QR code as an image', async () => {
    const html = await renderCallbackPage(
      {
        kind: 'pending_friend',
        locale: 'EN',
        friendUrl: 'https://line.me/R/ti/p/@a"b<c>',
        displayName: null,
      },
      'JA',
    );
    expect(html).toContain('href="https://line.me/R/ti/p/@a&quot;b&lt;c&gt;"');
    expect(html).not.toContain('<c>');
    expect(html).toMatch(/src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    expect(await renderCallbackPage({ kind: 'expired' }, 'KO')).toContain('<html lang="ko">');
  });

  it('has the completion message in each language', () => {
    expect(linkCompletedText('JA')).toMatch(/^友だち追加が完了しました/);
    expect(linkCompletedText('EN')).toMatch(/friend/);
    expect(linkCompletedText('KO')).toMatch(/친구 추가/);
  });
});

describe('LINE driver', () => {
  const user = (lineStatus: string, lineUserId: string | null = 'U0') =>
    ({ lineStatus, lineUserId }) as UserRow;
  it('reaches LINKED members only, and says why not', () => {
    expect(lineDriver.unreachable(user('LINKED'))).toBeNull();
    expect(lineDriver.unreachable(user('BLOCKED'))).toBe('the member blocked the LINE account');
    expect(lineDriver.unreachable(user('NOT_LINKED', null))).toBe('LINE not linked');
    expect(lineDriver.unreachable(user('PENDING_FRIEND'))).toMatch(/^LINE not linked: .*friend/);
    expect(lineDriver.paceKey(user('LINKED'))).toBe('*');
  });
});
