/** Japanese: every text members see from Renkei. */
import type { Catalog } from './types.ts';

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
