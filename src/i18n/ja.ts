/** Japanese: every text members see from Renkei. */
import type { Catalog, DecisionCatalog } from './types.ts';

/** The decision buttons' labels; the decision feedback texts quote them. */
const decisionLabels: DecisionCatalog['labels'] = {
  APPROVE: '承認',
  REJECT: '却下',
  RETURN: '差し戻し',
};

export const ja: Catalog = {
  lang: 'ja',
  notification: {
    types: {
      APPROVAL_REQUESTED: {
        heading: '承認依頼',
        summary: '承認依頼が届いています。内容を確認してください。',
        actor: '申請者',
      },
      APPROVED: { heading: '承認', summary: '申請が承認されました。', actor: '承認者' },
      REJECTED: { heading: '却下', summary: '申請が却下されました。', actor: '却下者' },
      RETURNED: {
        heading: '差し戻し',
        summary: '申請が差し戻されました。内容を修正して再申請してください。',
        actor: '差し戻し者',
      },
      COMPLETED: { heading: '決裁完了', summary: '決裁が完了しました。', actor: '最終承認者' },
      COMMENTED: { heading: 'コメント', summary: '文書にコメントがあります。', actor: '投稿者' },
      CIRCULATED: {
        heading: '回覧',
        summary: '文書が回覧されました。内容を確認してください。',
        actor: '申請者',
      },
      WITHDRAWN: {
        heading: '取り下げ',
        summary: '承認待ちの申請が取り下げられました。対応は不要です。',
        actor: '申請者',
      },
      REMINDER: {
        heading: 'リマインダー',
        summary: '承認待ちの文書があります。確認をお願いします。',
        actor: '申請者',
      },
    },
    test: {
      heading: 'テスト通知',
      summary: 'WORKPLACE の通知がこの宛先に届くことを確認するためのテスト送信です。',
      actor: '送信者',
    },
    comment: 'コメント',
    buttonLabel: '文書を開く',
    source: 'WORKPLACE ワークフロー',
    separator: ': ',
  },
  digest: {
    heading: '通知のまとめ（{n}件）',
    summary: 'まとめて届いた通知です。新しい順に表示しています。',
    more: 'ほか{n}件',
    buttonLabel: 'すべて表示',
    pageTitle: '通知のまとめ',
  },
  decision: {
    labels: decisionLabels,
    displayText: { APPROVE: '承認します', REJECT: '却下します', RETURN: '差し戻します' },
    modal: {
      title: 'コメント',
      submit: '送信',
      close: 'キャンセル',
      commentLabel: 'コメント（任意）',
      hint: '申請者に伝える理由を書けます。',
    },
    received: (a) => `「${decisionLabels[a]}」を受け付けました。WORKPLACE に送信しています。`,
    accepted: (a) => `「${decisionLabels[a]}」が WORKPLACE に反映されました。`,
    refused: (a, reason) =>
      `「${decisionLabels[a]}」は WORKPLACE で受け付けられませんでした: ${reason}`,
    failed: (a) =>
      `「${decisionLabels[a]}」を WORKPLACE に届けられませんでした。WORKPLACE で操作するか、管理者に連絡してください。`,
    alreadyDecided: (a, at) => `この申請には ${at} に「${decisionLabels[a]}」で回答済みです。`,
    closed: 'この申請の受付はすでに締め切られています。',
    notAllowed: 'この申請に回答できるのは宛先の方だけです。',
    invalid: 'このボタンは無効です。WORKPLACE で操作してください。',
  },
  linePage: {
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
  lineLinkCompleted:
    '友だち追加が完了しました。WORKPLACEのワークフロー通知をこのアカウントでお届けします。',
  lineWorksBot: {
    botName: 'WORKPLACE 通知',
    description: 'WORKPLACE のワークフロー通知（承認依頼・承認・差し戻しなど）をお届けします。',
  },
};
