/**
 * Provider fakes for tests, demos and benchmarks: real HTTP servers on 127.0.0.1, one per
 * provider origin, each with the control API described in ./fake-server.ts (`/__fake/...`).
 * Behaviour follows /work/shared/design/PROVIDERS.md.
 */
import { type FakeProvider, type Listening, listen } from './fake-server.ts';
import { createGoogleChatFake, type GoogleChatState } from './google-chat.ts';
import { createLineFake, type LineState } from './line.ts';
import { createLineWorksFake, type LineWorksState } from './line-works.ts';
import { createSlackFake, type SlackState } from './slack.ts';
import { createWorkplaceFake, WORKPLACE_WEBHOOK_PATH, type WorkplaceState } from './workplace.ts';

export type { FakeConfig, RecordedRequest, Scripted, ScriptMatch } from './fake-server.ts';
export type { GoogleChatState } from './google-chat.ts';
export type { LineState } from './line.ts';
export type { LineWorksState } from './line-works.ts';
export type { SlackState } from './slack.ts';
export type { WorkplaceState } from './workplace.ts';
export { FAKE_WORKPLACE_SECRET } from './workplace.ts';

export interface FakeBases {
  /** SLACK_API_BASE, e.g. 'http://127.0.0.1:PORT/api' (methods at `${base}/auth.test`). */
  slackApiBase: string;
  /** GOOGLE_CHAT_WEBHOOK_ORIGIN: webhooks at `${origin}/v1/spaces/{SPACE}/messages?key&token`. */
  googleChatOrigin: string;
  /** LINE_API_BASE: /v2/bot/..., /oauth2/v2.1/token, /oauth2/v3/token, /friendship/v1/status. */
  lineApiBase: string;
  /** LINE_ACCESS_BASE: /oauth2/v2.1/authorize. */
  lineAccessBase: string;
  /** LINE_WORKS_AUTH_BASE: /oauth2/v2.0/token. */
  lineWorksAuthBase: string;
  /** LINE_WORKS_API_BASE, e.g. 'http://127.0.0.1:PORT/v1.0'. */
  lineWorksApiBase: string;
  /** WORKPLACE_WEBHOOK_URL: WORKPLACE's decision receiver (`${origin}/webhooks/renkei/decisions`). */
  workplaceWebhookUrl: string;
}

/** Initial provider state (what `POST /__fake/reset` returns to). */
export interface FakeSeed {
  slack?: Partial<SlackState>;
  googleChat?: Partial<GoogleChatState>;
  line?: Partial<LineState>;
  lineWorks?: Partial<LineWorksState>;
  workplace?: Partial<WorkplaceState>;
}

export interface FakeProviders {
  slack: FakeProvider<SlackState>;
  googleChat: FakeProvider<GoogleChatState>;
  line: FakeProvider<LineState>;
  lineWorks: FakeProvider<LineWorksState>;
  workplace: FakeProvider<WorkplaceState>;
}

export interface RunningFakes {
  bases: FakeBases;
  /** Direct (Node-side) access to the providers; tests in workerd use the HTTP control API. */
  providers: FakeProviders;
  close(): Promise<void>;
}

export interface StartFakesOptions {
  host?: string;
  ports?: Partial<Record<keyof FakeBases, number>>;
  seed?: FakeSeed;
}

export async function startFakes(options: StartFakesOptions = {}): Promise<RunningFakes> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? {};
  const seed = options.seed ?? {};
  const providers: FakeProviders = {
    slack: createSlackFake(seed.slack),
    googleChat: createGoogleChatFake(seed.googleChat),
    line: createLineFake(seed.line),
    lineWorks: createLineWorksFake(seed.lineWorks),
    workplace: createWorkplaceFake(seed.workplace),
  };
  const plan: [keyof FakeBases, FakeProvider<object>, string, string][] = [
    ['slackApiBase', providers.slack, 'api', '/api'],
    ['googleChatOrigin', providers.googleChat, 'webhook', ''],
    ['lineApiBase', providers.line, 'api', ''],
    ['lineAccessBase', providers.line, 'access', ''],
    ['lineWorksAuthBase', providers.lineWorks, 'auth', ''],
    ['lineWorksApiBase', providers.lineWorks, 'api', '/v1.0'],
    ['workplaceWebhookUrl', providers.workplace, 'webhook', WORKPLACE_WEBHOOK_PATH],
  ];
  const started: Listening[] = [];
  const bases = {} as FakeBases;
  try {
    for (const [base, provider, listener, suffix] of plan) {
      const l = await listen(provider, { listener, host, port: ports[base] ?? 0 });
      started.push(l);
      bases[base] = `${l.origin}${suffix}`;
    }
  } catch (err) {
    await Promise.all(started.map((l) => l.close()));
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    bases,
    providers,
    close: () => {
      closed ??= Promise.all(started.map((l) => l.close())).then(() => undefined);
      return closed;
    },
  };
}

/** The control origin (where `/__fake/...` lives) of a base URL: strips `/api`, `/v1.0`. */
export const controlOrigin = (base: string) => new URL(base).origin;

/**
 * Demo credentials that `serve.ts` pre-seeds (also usable by tests and demo scripts).
 * The LINE WORKS key pair is generated at startup by serve.ts (see `demoState`).
 */
export const demoSeed = {
  slack: {
    token: 'xoxb-demo-renkei',
    team: 'Renkei Demo',
    teamId: 'T0DEMO',
    userId: 'U0BOT',
    botId: 'B0DEMO',
  },
  line: {
    channelToken: 'line-demo-channel-token',
    botUserId: 'U0000000000000000000000000000b07',
    basicId: '@renkei-demo',
    botDisplayName: 'Renkei Demo',
    /** Messaging API channel (stateless tokens via /oauth2/v3/token; webhook signatures). */
    messagingChannelId: '1650000001',
    messagingChannelSecret: 'demo-messaging-secret',
    loginChannelId: '1650000000',
    loginChannelSecret: 'demo-login-secret',
    userId: 'U1234567890abcdef1234567890abcdef',
    userDisplayName: 'Demo Member',
  },
  lineWorks: {
    clientId: 'demo-client-id',
    clientSecret: 'demo-client-secret',
    serviceAccount: 'demo.serviceaccount@renkei-demo.example',
    domainId: '10000001',
    botId: '2000000',
    botName: 'Renkei Demo',
    adminEmail: 'admin@renkei-demo.example',
    /** Where serve.ts keeps the PKCS#8 private key PEM (relative to the repo root). */
    privateKeyPath: '.wrangler/demo-line-works-key.pem',
    /** Bot Secret the demo tenant saves; scripts/click.mjs signs callbacks with it. */
    botSecret: 'demo-line-works-bot-secret',
    /** The demo member sato in the LINE WORKS directory (resource id, login id). */
    member: { resourceId: '6f1c2a4e-0d3b-4c8a-9e7f-5a2b1c3d4e5f', loginId: 'sato@demo.example' },
  },
} as const;

/** The seeded provider state for the demo, given the LINE WORKS app's SPKI public key PEM. */
export function demoState(lineWorksPublicKeyPem: string): FakeSeed {
  const { slack, line, lineWorks: lw } = demoSeed;
  return {
    slack: {
      tokens: {
        [slack.token]: {
          team: slack.team,
          team_id: slack.teamId,
          user_id: slack.userId,
          bot_id: slack.botId,
        },
      },
    },
    line: {
      bots: {
        [line.channelToken]: {
          userId: line.botUserId,
          basicId: line.basicId,
          displayName: line.botDisplayName,
          channelId: line.messagingChannelId,
        },
      },
      statelessChannels: {
        [line.messagingChannelId]: {
          secret: line.messagingChannelSecret,
          botToken: line.channelToken,
        },
      },
      loginChannels: { [line.loginChannelId]: { secret: line.loginChannelSecret } },
      users: { [line.userId]: { displayName: line.userDisplayName, friend: false } },
      authorize: { userId: line.userId, addFriend: true },
    },
    lineWorks: {
      apps: {
        [lw.clientId]: {
          clientSecret: lw.clientSecret,
          serviceAccount: lw.serviceAccount,
          publicKeyPem: lineWorksPublicKeyPem,
          domainId: lw.domainId,
        },
      },
      bots: {
        [lw.botId]: {
          botName: lw.botName,
          description: 'Renkei demo bot',
          administrators: [lw.adminEmail],
          domains: [lw.domainId],
        },
      },
      directory: {
        [lw.domainId]: [{ userId: lw.member.resourceId, email: lw.member.loginId }],
      },
    },
  };
}
