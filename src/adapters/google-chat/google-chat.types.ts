/**
 * The parts of the Google Chat incoming-webhook API Renkei uses (a `spaces.messages.create`
 * call authorised by the webhook's `key` and `token`).
 * https://developers.google.com/workspace/chat/quickstart/webhooks
 * https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages
 */

export interface GoogleChatCredentials {
  /**
   * The member's webhook URL, `{origin}/v1/spaces/{space}/messages?key=…&token=…`. The token
   * is a secret: never logged, never part of a reason.
   */
  webhookUrl: string;
}

export interface GoogleChatTarget {
  /** WORKPLACE document id: every notification about one document lands in one thread. */
  documentId: string;
}

/** Result of `parseGoogleChatWebhook`. */
export type GoogleChatWebhookParse =
  | {
      ok: true;
      /** The space id (`AAAA…`): what may be shown instead of the URL. */
      space: string;
    }
  | { ok: false; reason: string };

export interface GoogleChatButton {
  text: string;
  onClick: { openLink: { url: string } };
}

export type GoogleChatWidget =
  | { textParagraph: { text: string } }
  | { buttonList: { buttons: GoogleChatButton[] } };

export interface GoogleChatCardV2 {
  cardId: string;
  card: {
    header: { title: string; subtitle?: string };
    sections: { widgets: GoogleChatWidget[] }[];
  };
}

export interface GoogleChatMessageBody {
  /** Chat text syntax (`*bold*`, `<url|label>`); shown with the card and in notifications. */
  text: string;
  cardsV2: GoogleChatCardV2[];
  thread: { threadKey: string };
}

/** Success: the created message. */
export interface GoogleChatMessageResponse {
  /** `spaces/{space}/messages/{message}` */
  name?: string;
  thread?: { name?: string; threadKey?: string };
}

/** Google's error envelope. https://cloud.google.com/apis/design/errors */
export interface GoogleApiErrorResponse {
  error?: { code?: number; message?: string; status?: string };
}
