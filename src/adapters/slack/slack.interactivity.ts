/**
 * Slack's requests to the app's Interactivity Request URL: the signature check over the raw
 * body (before anything is parsed) and the two payloads Renkei acts on, `block_actions` (a
 * button click) and `view_submission` (the comment modal sent).
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 * https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
 */

/** Requests whose timestamp is further than this from now are refused (replay window). */
export const SLACK_SIGNATURE_WINDOW_S = 300;

/**
 * Checks `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:{ts}:{raw body}")>` and
 * that `X-Slack-Request-Timestamp` is within five minutes of `nowSeconds`. The MAC comparison is
 * `crypto.subtle.verify` (constant time); a missing or malformed header is a failure.
 */
export async function verifySlackSignature(
  signingSecret: string,
  rawBody: ArrayBuffer,
  timestampHeader: string | null | undefined,
  signatureHeader: string | null | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  if (!signingSecret || !timestampHeader || !signatureHeader) return false;
  if (!/^\d{1,12}$/.test(timestampHeader)) return false;
  if (Math.abs(nowSeconds - Number(timestampHeader)) > SLACK_SIGNATURE_WINDOW_S) return false;
  const m = /^v0=([0-9a-f]{64})$/.exec(signatureHeader.trim());
  if (!m) return false;
  const mac = hexToBytes(m[1] as string);
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(signingSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const prefix = new TextEncoder().encode(`v0:${timestampHeader}:`);
  const data = new Uint8Array(prefix.byteLength + rawBody.byteLength);
  data.set(prefix);
  data.set(new Uint8Array(rawBody), prefix.byteLength);
  return crypto.subtle.verify('HMAC', key, mac, data);
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A button click, as far as Renkei reads it. */
export interface SlackBlockAction {
  type: 'block_actions';
  userId: string;
  teamId: string;
  actionId: string;
  value: string;
  triggerId: string;
  /** The DM channel the message is in (`container.channel_id` or `channel.id`). */
  channelId: string;
  messageTs: string;
}

/** The comment modal sent. */
export interface SlackViewSubmission {
  type: 'view_submission';
  userId: string;
  teamId: string;
  callbackId: string;
  privateMetadata: string;
  /** `view.state.values[block][action].value` of every plain-text input. */
  values: Record<string, Record<string, string | null>>;
}

export type SlackInteraction =
  | SlackBlockAction
  | SlackViewSubmission
  | { type: 'other'; payloadType: string };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Reads the `payload` field of an `application/x-www-form-urlencoded` interactivity request;
 * null when the body is not one (the caller answers 400).
 */
export function parseSlackInteraction(rawBody: ArrayBuffer): SlackInteraction | null {
  let payload: Record<string, unknown>;
  try {
    const form = new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
    const text = form.get('payload');
    if (!text) return null;
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    payload = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const type = str(payload.type);
  const user = obj(payload.user);
  const team = obj(payload.team);
  const userId = str(user.id);
  const teamId = str(team.id) || str(user.team_id);
  if (type === 'block_actions') {
    const actions = Array.isArray(payload.actions) ? payload.actions : [];
    const action = obj(actions[0]);
    const container = obj(payload.container);
    const message = obj(payload.message);
    return {
      type,
      userId,
      teamId,
      actionId: str(action.action_id),
      value: str(action.value),
      triggerId: str(payload.trigger_id),
      channelId: str(container.channel_id) || str(obj(payload.channel).id),
      messageTs: str(container.message_ts) || str(message.ts),
    };
  }
  if (type === 'view_submission') {
    const view = obj(payload.view);
    const values: Record<string, Record<string, string | null>> = {};
    for (const [block, actions] of Object.entries(obj(obj(view.state).values))) {
      const inner: Record<string, string | null> = {};
      for (const [actionId, element] of Object.entries(obj(actions))) {
        const value = obj(element).value;
        inner[actionId] = typeof value === 'string' ? value : null;
      }
      values[block] = inner;
    }
    return {
      type,
      userId,
      teamId,
      callbackId: str(view.callback_id),
      privateMetadata: str(view.private_metadata),
      values,
    };
  }
  return { type: 'other', payloadType: type };
}
