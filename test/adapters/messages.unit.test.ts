// Unit: the localized words every adapter renders (renderText) and the safe truncation helpers.
import { describe, expect, it } from 'vitest';
import { linkUrl, renderText, truncate, truncateEscaped } from '../../src/adapters/messages.ts';
import type { Locale, Notification, NotificationType } from '../../src/adapters/types.ts';
import { NOTIFICATION_TYPES } from '../../src/domain/rules.ts';

const TYPES = NOTIFICATION_TYPES;
const LOCALES: Locale[] = ['JA', 'EN', 'KO'];

function note(patch: Partial<Notification> = {}): Notification {
  return {
    type: 'APPROVAL_REQUESTED',
    locale: 'JA',
    documentId: 'doc-1',
    title: '経費精算 2026年11月',
    url: 'https://workplace.example/wf/documents/1',
    ...patch,
  };
}

describe('renderText', () => {
  it('says what happened in Japanese, English and Korean', () => {
    const title = '経費精算';
    const expected: Record<Locale, Partial<Record<NotificationType, string>>> = {
      JA: {
        APPROVAL_REQUESTED: '承認依頼: 経費精算',
        APPROVED: '承認: 経費精算',
        REJECTED: '却下: 経費精算',
        RETURNED: '差し戻し: 経費精算',
        COMPLETED: '決裁完了: 経費精算',
        COMMENTED: 'コメント: 経費精算',
        CIRCULATED: '回覧: 経費精算',
        WITHDRAWN: '取り下げ: 経費精算',
        REMINDER: 'リマインダー: 経費精算',
      },
      EN: {
        APPROVAL_REQUESTED: 'Approval requested: 経費精算',
        REJECTED: 'Rejected: 経費精算',
        REMINDER: 'Reminder: 経費精算',
      },
      KO: {
        APPROVAL_REQUESTED: '결재 요청: 経費精算',
        COMPLETED: '결재 완료: 経費精算',
        WITHDRAWN: '회수: 経費精算',
      },
    };
    for (const locale of LOCALES) {
      for (const [type, heading] of Object.entries(expected[locale])) {
        expect(renderText(note({ locale, type: type as NotificationType, title })).heading).toBe(
          heading,
        );
      }
    }
    expect(renderText(note({ type: 'APPROVED' })).summary).toBe('申請が承認されました。');
    expect(renderText(note({ type: 'REJECTED' })).summary).toBe('申請が却下されました。');
    expect(renderText(note({ type: 'RETURNED' })).summary).toContain('差し戻されました');
    expect(renderText(note({ type: 'COMPLETED' })).summary).toBe('決裁が完了しました。');
    expect(renderText(note({ type: 'COMMENTED' })).summary).toContain('コメントがあります');
  });

  it('gives every type its own heading and summary in every locale', () => {
    for (const locale of LOCALES) {
      const rendered = TYPES.map((type) => renderText(note({ locale, type, title: 'X' })));
      expect(new Set(rendered.map((r) => r.heading)).size).toBe(TYPES.length);
      expect(new Set(rendered.map((r) => r.summary)).size).toBe(TYPES.length);
      for (const r of rendered) {
        expect(r.heading.endsWith(': X')).toBe(true);
        expect(r.summary.length).toBeGreaterThan(0);
      }
    }
  });

  it('adds the actor and comment lines only when given', () => {
    const bare = renderText(note({ actorName: null, comment: '  ' }));
    expect(bare.fields).toEqual([]);
    expect(bare.lines).toEqual([]);

    const full = renderText(
      note({ actorName: ' 山田 太郎 ', comment: '金額を確認しました。\r\nOK です' }),
    );
    expect(full.lines).toEqual(['申請者: 山田 太郎', 'コメント: 金額を確認しました。\nOK です']);
    expect(full.fields.map((f) => f.kind)).toEqual(['actor', 'comment']);
    expect(full.buttonLabel).toBe('文書を開く');
    expect(full.fallback).toBe(
      [
        '承認依頼: 経費精算 2026年11月',
        '承認依頼が届いています。内容を確認してください。',
        '申請者: 山田 太郎',
        'コメント: 金額を確認しました。\nOK です',
        '文書を開く: https://workplace.example/wf/documents/1',
      ].join('\n'),
    );

    expect(renderText(note({ locale: 'EN', type: 'APPROVED', actorName: 'Sato' })).lines).toEqual([
      'Approved by: Sato',
    ]);
    const ko = renderText(
      note({ locale: 'KO', actorName: '김민수', comment: '확인 부탁드립니다' }),
    );
    expect(ko.lines).toEqual(['기안자: 김민수', '의견: 확인 부탁드립니다']);
    expect(ko.buttonLabel).toBe('문서 열기');
    expect(renderText(note({ locale: 'EN' })).buttonLabel).toBe('Open document');
  });

  it('renders a test message whatever the type', () => {
    const ja = renderText(note({ test: true, type: 'REJECTED', title: '接続確認' }));
    expect(ja.heading).toBe('テスト通知: 接続確認');
    expect(ja.summary).toContain('テスト');
    expect(renderText(note({ test: true, locale: 'EN', title: 'Hello' })).heading).toBe(
      'Test notification: Hello',
    );
    expect(renderText(note({ test: true, locale: 'KO', title: '' })).heading).toBe('테스트 알림');
  });

  it('keeps the heading on one line and bounded, and cuts the comment on request', () => {
    const r = renderText(note({ title: `a\nb${'長'.repeat(500)}`, comment: '😀'.repeat(100) }), {
      maxCommentLength: 11,
    });
    expect(r.heading).not.toContain('\n');
    expect(r.heading.length).toBeLessThanOrEqual('承認依頼: '.length + 200);
    const comment = r.fields.find((f) => f.kind === 'comment')?.value ?? '';
    expect(comment.length).toBeLessThanOrEqual(11);
    expect(comment.endsWith('…')).toBe(true);
    expect(comment).not.toMatch(/[\uD800-\uDBFF]…$/);
  });

  it('links only absolute http(s) URLs', () => {
    expect(renderText(note({ url: 'javascript:alert(1)' })).url).toBeNull();
    expect(renderText(note({ url: 'javascript:alert(1)' })).fallback).not.toContain('javascript');
    expect(linkUrl('/relative')).toBeNull();
    expect(linkUrl('https://workplace.example/a b')).toBe('https://workplace.example/a%20b');
  });
});

describe('truncate helpers', () => {
  it('never split a surrogate pair and count the ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    const cut = truncate('😀😀😀', 4);
    expect(cut).toBe('😀…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });

  it('never split an escape sequence', () => {
    const escapeAmp = (s: string) => s.replace(/&/g, '&amp;');
    expect(truncateEscaped('a&b', 10, escapeAmp)).toBe('a&amp;b');
    const cut = truncateEscaped('a&&&&', 8, escapeAmp);
    expect(cut).toBe('a&amp;…');
    expect(cut.length).toBeLessThanOrEqual(8);
  });
});
