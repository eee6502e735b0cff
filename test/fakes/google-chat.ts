/**
 * Fake Google Chat incoming webhooks (`GOOGLE_CHAT_WEBHOOK_ORIGIN`), per
 * /work/shared/design/PROVIDERS.md "Google Chat":
 * - `POST /v1/spaces/{SPACE}/messages?key={KEY}&token={TOKEN}` with JSON `{"text"}` and/or
 *   `{"cardsV2":[{"cardId","card"}]}`; message ≤32,000 bytes (checked on the raw body).
 * - Threads: body `"thread":{"threadKey"}` with query
 *   `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` (or `REPLY_MESSAGE_OR_FAIL`, which
 *   fails with 404 when the thread does not exist yet) → the same threadKey gives the same thread.
 * - Errors in Google's shape `{"error":{"code","message","status"}}`: 400 INVALID_ARGUMENT,
 *   403 PERMISSION_DENIED (bad key/token), 404 NOT_FOUND (deleted space), 429 RESOURCE_EXHAUSTED
 *   without Retry-After. https://developers.google.com/workspace/chat/format-messages
 * State `webhooks: null` accepts any key/token; an object requires the listed key + token.
 */
import { randomBytes } from 'node:crypto';
import {
  FakeProvider,
  type FakeProviderSpec,
  type FakeResponse,
  isPlainObject,
  json,
  SlidingWindow,
} from './fake-server.ts';

export interface GoogleChatState {
  webhooks: Record<string, { key: string; token: string }> | null;
  deletedSpaces: string[];
  rateLimit: { perSpacePerSecond: number } | null;
  /** Threads created so far: space → threadKey → thread name. */
  threads: Record<string, Record<string, string>>;
}

export const defaultGoogleChatState = (): GoogleChatState => ({
  webhooks: null,
  deletedSpaces: [],
  rateLimit: null,
  threads: {},
});

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export const googleError = (code: number, message: string): FakeResponse =>
  json(code, { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' } });

const REPLY_OPTIONS = new Set([
  'MESSAGE_REPLY_OPTION_UNSPECIFIED',
  'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
  'REPLY_MESSAGE_OR_FAIL',
]);

const id = () => randomBytes(8).toString('base64url');

export function createGoogleChatFake(
  initial: Partial<GoogleChatState> = {},
): FakeProvider<GoogleChatState> {
  const windows = new SlidingWindow();

  const spec: FakeProviderSpec<GoogleChatState> = {
    name: 'google-chat',
    initialState: { ...defaultGoogleChatState(), ...structuredClone(initial) },
    onReset: () => windows.clear(),
    faultResponse: (kind) =>
      kind === '429'
        ? googleError(429, 'Resource has been exhausted (e.g. check quota).')
        : googleError(503, 'The service is currently unavailable.'),
    handle(req, ctx) {
      const m = /^\/v1\/spaces\/([^/]+)\/messages$/.exec(req.path);
      if (!m) return googleError(404, `Requested entity was not found: ${req.path}`);
      if (req.method !== 'POST') return googleError(404, 'Method not found.');
      const space = decodeURIComponent(m[1] as string);
      const st = ctx.state;

      if (st.webhooks) {
        const hook = st.webhooks[space];
        if (!hook || hook.key !== req.query.key || hook.token !== req.query.token) {
          return googleError(403, 'The caller does not have permission');
        }
      }
      if (st.deletedSpaces.includes(space)) {
        return googleError(404, `Requested entity was not found: spaces/${space}`);
      }
      if (req.bodyBytes > 32_000) {
        return googleError(400, 'Message payload is too large (limit: 32,000 bytes).');
      }
      let body: unknown;
      try {
        body = JSON.parse(req.body);
      } catch {
        return googleError(400, 'Invalid JSON payload received.');
      }
      if (!isPlainObject(body)) return googleError(400, 'Invalid JSON payload received.');
      const text = body.text;
      if (text !== undefined && typeof text !== 'string') {
        return googleError(400, "Invalid value at 'message.text' (TYPE_STRING)");
      }
      const cards = body.cardsV2;
      if (cards !== undefined) {
        if (!Array.isArray(cards)) return googleError(400, "Invalid value at 'message.cards_v2'");
        for (const c of cards) {
          if (!isPlainObject(c) || !isPlainObject(c.card)) {
            return googleError(400, "Invalid value at 'message.cards_v2': each needs a card");
          }
        }
      }
      const hasCards = Array.isArray(cards) && cards.length > 0;
      if (!text && !hasCards) {
        return googleError(
          400,
          'Message cannot be empty. Discarded message must have text or cards.',
        );
      }
      const option = req.query.messageReplyOption;
      if (option !== undefined && !REPLY_OPTIONS.has(option)) {
        return googleError(400, `Invalid value at 'message_reply_option' (${option})`);
      }

      const limit = st.rateLimit?.perSpacePerSecond;
      if (limit && limit > 0 && !windows.hit(space, limit, 1000)) {
        ctx.rateLimited();
        return googleError(
          429,
          "Resource has been exhausted (e.g. check quota). Quota exceeded for quota metric 'Write requests' per space.",
        );
      }

      // Threading.
      const thread = isPlainObject(body.thread) ? body.thread : undefined;
      const threadKey = typeof thread?.threadKey === 'string' ? thread.threadKey : undefined;
      const threadNameIn = typeof thread?.name === 'string' ? thread.name : undefined;
      const replying =
        option === 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD' || option === 'REPLY_MESSAGE_OR_FAIL';
      st.threads[space] ??= {};
      const threads = st.threads[space];
      let threadName: string | undefined;
      if (replying && threadKey) threadName = threads[threadKey];
      else if (replying && threadNameIn && Object.values(threads).includes(threadNameIn)) {
        threadName = threadNameIn;
      }
      if (!threadName && option === 'REPLY_MESSAGE_OR_FAIL' && (threadKey || threadNameIn)) {
        return googleError(404, 'Thread not found.');
      }
      if (!threadName) {
        threadName = `spaces/${space}/threads/${id()}`;
        if (replying && threadKey) threads[threadKey] = threadName;
      }

      ctx.accept(space);
      const now = new Date().toISOString();
      const message: Record<string, unknown> = {
        name: `spaces/${space}/messages/${id()}.${id()}`,
        sender: { name: 'users/114022495153014004089', displayName: 'Renkei', type: 'BOT' },
        createTime: now,
        text: text ?? '',
        thread: { name: threadName, ...(threadKey ? { threadKey } : {}) },
        space: { name: `spaces/${space}`, type: 'ROOM', spaceType: 'SPACE' },
        argumentText: text ?? '',
        formattedText: text ?? '',
      };
      if (hasCards) message.cardsV2 = cards;
      return json(200, message);
    },
  };
  return new FakeProvider(spec);
}
