/**
 * Fake WORKPLACE decision receiver (`WORKPLACE_WEBHOOK_URL` = `${origin}/webhooks/renkei/decisions`),
 * per /work/shared/design/PROVIDERS.md "WORKPLACE decision webhook (Standard Webhooks)" and
 * DECISIONS.md "Forwarding":
 * - Verifies `webhook-signature` (`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{raw body}")>`,
 *   several space-separated signatures allowed) against each secret in `state.secrets`
 *   (`whsec_<base64 key>`), and `webhook-timestamp` within `toleranceSeconds` of now; a bad or
 *   missing one is 401 `{message}`, a stale one 400 `{message}`.
 * - Dedupes on `webhook-id`: a repeat of an id already received answers 200 `{duplicate: true}`
 *   and is counted under `duplicates` in /__fake/stats; it is not counted as accepted again.
 * - Business refusals: a decision for a document in `state.closedDocuments` is answered 409
 *   `{message}` (e.g. "already approved by 田中"); an unknown `type` or a body without `data` is
 *   400 `{message}`.
 * - Received decisions: `state.received[webhookId] = { payload, receivedAt, deliveries }`;
 *   `/__fake/accepted` lists one entry per webhook-id.
 * Programmable answers (503, 429 + Retry-After, 4xx `{message}`, hang, reset, accept-then-drop,
 * a fault rate) come from the shared control API: `/__fake/script` and `/__fake/config`.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  FakeProvider,
  type FakeProviderSpec,
  type FakeRequest,
  type FakeResponse,
  isPlainObject,
  json,
} from './fake-server.ts';

export const WORKPLACE_WEBHOOK_PATH = '/webhooks/renkei/decisions';

export interface ReceivedDecision {
  payload: unknown;
  receivedAt: string;
  /** How many times this webhook-id arrived (1, or more after answers Renkei never got). */
  deliveries: number;
}

export interface WorkplaceState {
  /** Signing secrets accepted (`whsec_…`); several while a secret is rotated. */
  secrets: string[];
  toleranceSeconds: number;
  /** documentId → the message WORKPLACE refuses decisions on it with (409). */
  closedDocuments: Record<string, string>;
  received: Record<string, ReceivedDecision>;
}

/** The signing secret the fake starts with (tests and the demo sign with it). */
export const FAKE_WORKPLACE_SECRET = 'whsec_cmVua2VpLWZha2Utd29ya3BsYWNlLXNpZ25pbmcta2V5';

export const defaultWorkplaceState = (): WorkplaceState => ({
  secrets: [FAKE_WORKPLACE_SECRET],
  toleranceSeconds: 300,
  closedDocuments: {},
  received: {},
});

const message = (status: number, text: string): FakeResponse => json(status, { message: text });

/** Whether one of the `v1,` signatures in `header` signs `id.timestamp.body` under `secret`. */
export function verifySignature(
  secret: string,
  id: string,
  timestamp: string,
  body: string,
  header: string,
): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const part of header.split(' ')) {
    const [version, sig] = part.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    const given = Buffer.from(sig, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}

function verify(req: FakeRequest, st: WorkplaceState): FakeResponse | null {
  const id = req.headers['webhook-id'];
  const timestamp = req.headers['webhook-timestamp'];
  const signature = req.headers['webhook-signature'];
  if (!id || !timestamp || !signature) {
    return message(401, 'missing webhook-id, webhook-timestamp or webhook-signature');
  }
  if (!st.secrets.some((s) => verifySignature(s, id, timestamp, req.body, signature))) {
    return message(401, 'invalid webhook signature');
  }
  if (!/^\d+$/.test(timestamp)) return message(400, 'webhook-timestamp must be Unix seconds');
  const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
  if (skew > st.toleranceSeconds)
    return message(400, `webhook-timestamp is ${Math.round(skew)} s off`);
  return null;
}

export function createWorkplaceFake(
  initial: Partial<WorkplaceState> = {},
): FakeProvider<WorkplaceState> {
  const spec: FakeProviderSpec<WorkplaceState> = {
    name: 'workplace',
    initialState: { ...defaultWorkplaceState(), ...structuredClone(initial) },
    counters: ['duplicates', 'badSignatures'],
    faultResponse: (kind, retryAfterSeconds) =>
      kind === '429'
        ? json(429, { message: 'too many requests' }, { 'retry-after': String(retryAfterSeconds) })
        : message(503, 'WORKPLACE is under maintenance'),
    handle(req, ctx) {
      if (req.path !== WORKPLACE_WEBHOOK_PATH) return message(404, 'not found');
      if (req.method !== 'POST') return message(405, 'method not allowed');
      const st = ctx.state;
      const refused = verify(req, st);
      if (refused) {
        if (refused.status === 401) ctx.count('badSignatures');
        return refused;
      }
      const id = req.headers['webhook-id'] as string;
      const seen = st.received[id];
      if (seen) {
        seen.deliveries += 1;
        ctx.count('duplicates');
        return json(200, { ok: true, duplicate: true });
      }
      const body = req.json;
      if (!isPlainObject(body) || body.type !== 'workflow.decision' || !isPlainObject(body.data)) {
        return message(400, 'expected {"type":"workflow.decision","data":{…}}');
      }
      const documentId = body.data.documentId;
      if (typeof documentId === 'string' && st.closedDocuments[documentId]) {
        return message(409, st.closedDocuments[documentId] as string);
      }
      st.received[id] = { payload: body, receivedAt: new Date().toISOString(), deliveries: 1 };
      ctx.accept(id);
      return json(200, { ok: true });
    },
  };
  return new FakeProvider(spec);
}
