/** サービス連携設定: the five integrations, their configure* mutations and verification. */
import { z } from 'zod';
import { ensureLineWorksBot } from '../../domain/bot-registration.ts';
import { lineWorksPerMinute } from '../../domain/channels/line-works.ts';
import { slackMessagesPerMinute, slackMethodPerMinute } from '../../domain/channels/slack.ts';
import {
  lineWorksCallbackUrl,
  slackInteractivityUrl,
} from '../../domain/decisions/inbound-urls.ts';
import type { UserError } from '../../domain/errors.ts';
import {
  checkPrivateKey,
  configureIntegration,
  getIntegration,
  type IntegrationKind,
  type IntegrationView,
  listIntegrations,
  type SecretView,
} from '../../domain/integrations.ts';
import type { LineQuotaView } from '../../domain/line-quota.ts';
import { verifyIntegration } from '../../domain/verify.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { validate, withUserErrors } from '../validate.ts';
import { IntegrationKindEnum, IntegrationStatusEnum, LocaleEnum, UserErrorRef } from './common.ts';

const SecretRef = builder.objectRef<SecretView>('Secret').implement({
  description: 'A stored secret: never its value.',
  authScopes: { admin: true },
  fields: (t) => ({
    configured: t.exposeBoolean('configured'),
    hint: t.exposeString('hint', { nullable: true, description: 'Last 4 characters at most' }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.updatedAt }),
  }),
});

// サービス連携設定 is for admins only: every type here says so.
const IntegrationRef = builder.interfaceRef<IntegrationView>('Integration').implement({
  authScopes: { admin: true },
  resolveType: (v) => TYPE_NAMES[v.kind],
  fields: (t) => ({
    kind: t.field({ type: IntegrationKindEnum, resolve: (v) => v.kind }),
    enabled: t.exposeBoolean('enabled'),
    status: t.field({ type: IntegrationStatusEnum, resolve: (v) => v.status }),
    lastVerifiedAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.lastVerifiedAt }),
    lastError: t.exposeString('lastError', { nullable: true }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.updatedAt }),
  }),
});

const TYPE_NAMES: Record<IntegrationKind, string> = {
  LINE_WORKS: 'LineWorksMessenger',
  SLACK: 'SlackMessenger',
  GOOGLE_CHAT: 'GoogleChatMessenger',
  LINE: 'LineMessenger',
  LINE_WORKS_CALENDAR: 'LineWorksCalendar',
};

function setting(v: IntegrationView, name: string): string | null {
  const value = v.settings[name];
  return value == null ? null : String(value);
}

const secret = (v: IntegrationView, name: string): SecretView =>
  v.secrets[name] ?? { configured: false, hint: null, updatedAt: null };

/** Declares an object type implementing Integration with string settings and secrets. */
function integrationType(
  kind: IntegrationKind,
  description: string,
  settings: readonly string[],
  secrets: readonly string[],
) {
  return builder.objectRef<IntegrationView>(TYPE_NAMES[kind]).implement({
    description,
    interfaces: [IntegrationRef],
    authScopes: { admin: true },
    fields: (t) => ({
      ...Object.fromEntries(
        settings.map((name) => [
          name,
          t.string({ nullable: true, resolve: (v) => setting(v, name) }),
        ]),
      ),
      ...Object.fromEntries(
        secrets.map((name) => [
          name,
          t.field({ type: SecretRef, resolve: (v) => secret(v, name) }),
        ]),
      ),
    }),
  });
}

const LineWorksRef = integrationType(
  'LINE_WORKS',
  "LINE WORKS messenger bot (API 2.0, service account). The seed's API 1.0 fields map onto these.",
  ['domainId', 'adminEmail', 'clientId', 'serviceAccount', 'botId'],
  ['clientSecret', 'privateKey', 'botSecret'],
);
builder.objectFields(LineWorksRef, (t) => ({
  rateLimitPerMinute: t.int({
    description:
      'LINE WORKS API requests per minute this tenant may send (240 on Standard/Advanced, 60 on Free)',
    resolve: (v) => lineWorksPerMinute(v.settings),
  }),
  locale: t.field({
    type: LocaleEnum,
    nullable: true,
    description: "The company's language for the bot's name and description (JA when unset)",
    resolve: (v) => (v.settings.locale as 'JA' | 'EN' | 'KO' | undefined) ?? null,
  }),
  callbackUrl: t.string({
    description: "Where the bot's button clicks arrive (set on the bot by Renkei)",
    resolve: (_v, _a, ctx) => lineWorksCallbackUrl(ctx.env, ctx.principal?.tenantId ?? ''),
  }),
}));
const SlackRef = integrationType(
  'SLACK',
  'Slack bot: direct messages to members by their member ID.',
  ['teamId', 'teamName', 'botUserId'],
  ['botToken', 'signingSecret'],
);
builder.objectFields(SlackRef, (t) => ({
  messagesPerMinute: t.int({
    description:
      "chat.postMessage calls per minute Renkei allows itself across the workspace (Slack's limit is unpublished; default 525), on top of 1 per second per DM",
    resolve: (v) => slackMessagesPerMinute(v.settings),
  }),
  tier3PerMinute: t.int({
    description:
      'Tier 3 calls per minute (conversations.open for first-contact DMs) Renkei allows itself per workspace (default 50, the documented Tier 3 floor)',
    resolve: (v) => slackMethodPerMinute('conversations.open', v.settings),
  }),
  interactivityUrl: t.string({
    description:
      'To paste into Interactivity & Shortcuts > Request URL (button clicks arrive here)',
    resolve: (_v, _a, ctx) => slackInteractivityUrl(ctx.env, ctx.principal?.tenantId ?? ''),
  }),
}));
const GoogleChatRef = integrationType(
  'GOOGLE_CHAT',
  "Google Chat: each member's own incoming webhook.",
  [],
  [],
);
const LineQuotaRef = builder.objectRef<LineQuotaView>('LineQuota').implement({
  description:
    "The LINE official account's message quota this month (LINE's month: Asia/Tokyo). Pushes " +
    'past the limit end FAILED without being sent until the month turns or a verification shows room.',
  fields: (t) => ({
    limit: t.int({
      nullable: true,
      description: 'Messages this month; null when the plan has no limit',
      resolve: (q) => q.limit,
    }),
    used: t.int({
      description: "LINE's count at checkedAt plus the pushes Renkei sent since",
      resolve: (q) => q.used,
    }),
    checkedAt: t.field({
      type: 'DateTime',
      description: 'When LINE last reported the quota',
      resolve: (q) => q.checkedAt,
    }),
  }),
});

const LineRef = builder.objectRef<IntegrationView>(TYPE_NAMES.LINE).implement({
  description: 'LINE Login + Messaging API channels of the company official account.',
  interfaces: [IntegrationRef],
  authScopes: { admin: true },
  fields: (t) => ({
    loginChannelId: t.string({ nullable: true, resolve: (v) => setting(v, 'loginChannelId') }),
    loginChannelSecret: t.field({
      type: SecretRef,
      resolve: (v) => secret(v, 'loginChannelSecret'),
    }),
    messagingChannelSecret: t.field({
      type: SecretRef,
      description: 'Signs the webhook',
      resolve: (v) => secret(v, 'messagingChannelSecret'),
    }),
    channelAccessToken: t.field({
      type: SecretRef,
      resolve: (v) => secret(v, 'channelAccessToken'),
    }),
    friendUrl: t.string({
      nullable: true,
      description: "The official account's add-friend link (Gain Friends > Direct link)",
      resolve: (v) => setting(v, 'friendUrl'),
    }),
    basicId: t.string({
      nullable: true,
      description: "The official account's basic id, read by verifyIntegration",
      resolve: (v) => setting(v, 'basicId'),
    }),
    friendUrlMatches: t.boolean({
      nullable: true,
      description:
        'Whether friendUrl names the basic id verifyIntegration read (null: not checked)',
      resolve: (v) =>
        typeof v.settings.friendUrlMatches === 'boolean' ? v.settings.friendUrlMatches : null,
    }),
    messagingChannelId: t.string({
      nullable: true,
      description:
        'Messaging API channel id: with messagingChannelSecret, Renkei issues stateless channel ' +
        'access tokens itself when no channelAccessToken is stored',
      resolve: (v) => setting(v, 'messagingChannelId'),
    }),
    callbackUrl: t.string({
      description: 'To paste into LINE Login > Web app > Callback URL',
      resolve: (_v, _a, ctx) => new URL('/line/callback', ctx.env.PUBLIC_BASE_URL).toString(),
    }),
    webhookUrl: t.string({
      description: 'To paste into Messaging API > Webhook URL',
      resolve: (_v, _a, ctx) =>
        new URL(
          `/line/webhook/${encodeURIComponent(ctx.principal?.tenantId ?? '')}`,
          ctx.env.PUBLIC_BASE_URL,
        ).toString(),
    }),
    quota: t.field({
      type: LineQuotaRef,
      nullable: true,
      description:
        "This month's message quota, read on verifyIntegration, after sending and daily; null until first read",
      resolve: (v) => v.quota ?? null,
    }),
  }),
});
const LineWorksCalendarRef = builder
  .objectRef<IntegrationView>(TYPE_NAMES.LINE_WORKS_CALENDAR)
  .implement({
    description: 'LINE WORKS calendar registration of absences (カレンダー登録).',
    interfaces: [IntegrationRef],
    authScopes: { admin: true },
    fields: (t) => ({
      useMessengerCredentials: t.boolean({
        resolve: (v) => v.settings.useMessengerCredentials === true,
      }),
      domainId: t.string({ nullable: true, resolve: (v) => setting(v, 'domainId') }),
      clientId: t.string({ nullable: true, resolve: (v) => setting(v, 'clientId') }),
      clientSecret: t.field({ type: SecretRef, resolve: (v) => secret(v, 'clientSecret') }),
      serviceAccount: t.string({ nullable: true, resolve: (v) => setting(v, 'serviceAccount') }),
      privateKey: t.field({ type: SecretRef, resolve: (v) => secret(v, 'privateKey') }),
    }),
  });

const REFS = {
  LINE_WORKS: LineWorksRef,
  SLACK: SlackRef,
  GOOGLE_CHAT: GoogleChatRef,
  LINE: LineRef,
  LINE_WORKS_CALENDAR: LineWorksCalendarRef,
} as const;

const IntegrationsRef = builder
  .objectRef<Record<IntegrationKind, IntegrationView>>('Integrations')
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      lineWorks: t.field({ type: LineWorksRef, resolve: (i) => i.LINE_WORKS }),
      slack: t.field({ type: SlackRef, resolve: (i) => i.SLACK }),
      googleChat: t.field({ type: GoogleChatRef, resolve: (i) => i.GOOGLE_CHAT }),
      line: t.field({ type: LineRef, resolve: (i) => i.LINE }),
      lineWorksCalendar: t.field({
        type: LineWorksCalendarRef,
        resolve: (i) => i.LINE_WORKS_CALENDAR,
      }),
    }),
  });

builder.queryField('integrations', (t) =>
  t.authField({
    type: IntegrationsRef,
    description: 'Admin',
    authScopes: { admin: true },
    resolve: (_r, _a, ctx) => listIntegrations(ctx.db, ctx.principal.tenantId),
  }),
);

// ---- input validation ----

/** An optional field where `""` clears the stored value. */
const clearable = <S extends z.ZodType>(s: S) => z.union([z.literal(''), s]).nullish();
const token = (label: string, max = 4096) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max, `${label} is too long`)
    .regex(/^\S+$/, `${label} must not contain spaces`);
const lineHosts = /^(?:[a-z0-9-]+\.)*line\.me$|^lin\.ee$/;
const privateKey = z
  .string()
  .trim()
  .max(16_384, 'privateKey is too long')
  .check(async (ctx) => {
    const check = await checkPrivateKey(ctx.value);
    if (!check.ok) ctx.issues.push({ code: 'custom', message: check.reason, input: ctx.value });
  });
const lineWorksCredentials = {
  domainId: clearable(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'domainId is the Domain ID shown in the Developer Console'),
  ),
  clientId: clearable(token('clientId', 200)),
  clientSecret: clearable(token('clientSecret', 500)),
  serviceAccount: clearable(
    z
      .string()
      .trim()
      .max(320)
      .regex(/^[^\s@]+@[^\s@]+$/, 'serviceAccount looks like xxxx.serviceaccount@your-domain'),
  ),
  privateKey: clearable(privateKey),
};

const InputSchemas = {
  LINE_WORKS: z.object({
    enabled: z.boolean(),
    ...lineWorksCredentials,
    adminEmail: clearable(z.email('adminEmail must be an email address').max(320)),
    botId: clearable(
      z
        .string()
        .trim()
        .regex(/^\d{1,20}$/, 'botId is the numeric Bot ID'),
    ),
    botSecret: clearable(token('botSecret', 500)),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).nullish(),
    locale: z.enum(['JA', 'EN', 'KO']).nullish(),
  }),
  SLACK: z.object({
    enabled: z.boolean(),
    botToken: clearable(token('botToken', 500)),
    signingSecret: clearable(token('signingSecret', 200)),
    messagesPerMinute: z.number().int().min(1).max(100_000).nullish(),
    tier3PerMinute: z.number().int().min(1).max(100_000).nullish(),
  }),
  GOOGLE_CHAT: z.object({ enabled: z.boolean() }),
  LINE: z.object({
    enabled: z.boolean(),
    loginChannelId: clearable(
      z
        .string()
        .trim()
        .regex(/^\d{6,20}$/, 'loginChannelId is the numeric Channel ID'),
    ),
    loginChannelSecret: clearable(token('loginChannelSecret', 200)),
    messagingChannelSecret: clearable(token('messagingChannelSecret', 200)),
    channelAccessToken: clearable(token('channelAccessToken', 2000)),
    messagingChannelId: clearable(
      z
        .string()
        .trim()
        .regex(/^\d{6,20}$/, 'messagingChannelId is the numeric Channel ID'),
    ),
    friendUrl: clearable(
      z
        .url({
          protocol: /^https$/,
          hostname: lineHosts,
          error:
            'friendUrl must be an https LINE add-friend link (https://line.me/R/ti/p/@… or https://lin.ee/…)',
        })
        .max(500),
    ),
  }),
  LINE_WORKS_CALENDAR: z.object({
    enabled: z.boolean(),
    useMessengerCredentials: z.boolean().nullish(),
    ...lineWorksCredentials,
  }),
} as const;

/** A step after a successful save (LINE WORKS: bot registration); returns what to tell the admin. */
type AfterSave = (ctx: Context, tenantId: string) => Promise<UserError[]>;

function configureMutation(
  name: string,
  kind: IntegrationKind,
  inputFields: (t: PothosInputFieldBuilder) => Record<string, unknown>,
  payloadName: string,
  afterSave?: AfterSave,
) {
  const Input = builder.inputType(`${name[0]?.toUpperCase()}${name.slice(1)}Input`, {
    fields: inputFields as never,
  });
  const Payload = builder
    .objectRef<{ integration: IntegrationView | null; errors: UserError[] }>(payloadName)
    .implement({
      authScopes: { admin: true },
      fields: (t) => ({
        integration: t.field({ type: REFS[kind], nullable: true, resolve: (p) => p.integration }),
        errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
      }),
    });
  builder.mutationField(name, (t) =>
    t.authField({
      type: Payload,
      description:
        'Admin. A field omitted from the input leaves that setting unchanged; "" clears it.',
      args: { input: t.arg({ type: Input, required: true }) },
      authScopes: { admin: true },
      resolve: (_r, args, ctx) => {
        const admin = ctx.principal;
        return withUserErrors(
          async () => {
            const input = await validate(InputSchemas[kind], args.input, ['input']);
            const integration = await configureIntegration(
              ctx.db,
              ctx.env.SECRETS_KEY,
              admin,
              kind,
              input as { enabled: boolean } & Record<string, unknown>,
              ctx.tokens,
            );
            if (!afterSave) return { integration };
            const errors = await afterSave(ctx, admin.tenantId);
            return { integration: await getIntegration(ctx.db, admin.tenantId, kind), errors };
          },
          { integration: null },
        );
      },
    }),
  );
}

type PothosInputFieldBuilder = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

const lineWorksCredentialFields = (t: PothosInputFieldBuilder) => ({
  domainId: t.string(),
  clientId: t.string(),
  clientSecret: t.string(),
  serviceAccount: t.string(),
  privateKey: t.string({ description: 'PKCS#8 PEM' }),
});

configureMutation(
  'configureLineWorks',
  'LINE_WORKS',
  (t) => ({
    enabled: t.boolean({ required: true }),
    domainId: t.string(),
    adminEmail: t.string(),
    clientId: t.string(),
    clientSecret: t.string(),
    serviceAccount: t.string(),
    privateKey: t.string({ description: 'PKCS#8 PEM' }),
    botId: t.string({ description: 'Registered automatically on save when not given' }),
    botSecret: t.string(),
    rateLimitPerMinute: t.int({
      description: "Requests per minute of the tenant's LINE WORKS plan (default 240; Free: 60)",
    }),
    locale: t.field({
      type: LocaleEnum,
      description: "Language of the bot's name and description when it is registered (JA)",
    }),
  }),
  'ConfigureLineWorksPayload',
  (ctx, tenantId) =>
    ensureLineWorksBot(
      ctx.db,
      ctx.env.SECRETS_KEY,
      ctx.tokens,
      tenantId,
      lineWorksCallbackUrl(ctx.env, tenantId),
    ),
);
configureMutation(
  'configureSlack',
  'SLACK',
  (t) => ({
    enabled: t.boolean({ required: true }),
    botToken: t.string(),
    signingSecret: t.string({
      description: 'Basic Information > Signing Secret: verifies button clicks',
    }),
    messagesPerMinute: t.int({
      description:
        'Workspace-wide chat.postMessage budget per minute (default 525); lower it when Slack answers 429',
    }),
    tier3PerMinute: t.int({
      description: 'Tier 3 calls per minute Slack grants the workspace (default 50)',
    }),
  }),
  'ConfigureSlackPayload',
);
configureMutation(
  'configureGoogleChat',
  'GOOGLE_CHAT',
  (t) => ({ enabled: t.boolean({ required: true }) }),
  'ConfigureGoogleChatPayload',
);
configureMutation(
  'configureLine',
  'LINE',
  (t) => ({
    enabled: t.boolean({ required: true }),
    loginChannelId: t.string(),
    loginChannelSecret: t.string(),
    messagingChannelSecret: t.string(),
    channelAccessToken: t.string({
      description: 'Long-lived token; optional when messagingChannelId is given',
    }),
    friendUrl: t.string(),
    messagingChannelId: t.string({
      description: 'Messaging API channel id, for stateless channel access tokens',
    }),
  }),
  'ConfigureLinePayload',
);
configureMutation(
  'configureLineWorksCalendar',
  'LINE_WORKS_CALENDAR',
  (t) => ({
    enabled: t.boolean({ required: true }),
    useMessengerCredentials: t.boolean(),
    ...lineWorksCredentialFields(t),
  }),
  'ConfigureLineWorksCalendarPayload',
);

const VerifyPayload = builder
  .objectRef<{ integration: IntegrationView | null; ok: boolean; errors: UserError[] }>(
    'VerifyIntegrationPayload',
  )
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      integration: t.field({ type: IntegrationRef, nullable: true, resolve: (p) => p.integration }),
      ok: t.exposeBoolean('ok'),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('verifyIntegration', (t) =>
  t.authField({
    type: VerifyPayload,
    description:
      'Admin. Checks the stored credentials against the provider and records the outcome.',
    args: { kind: t.arg({ type: IntegrationKindEnum, required: true }) },
    authScopes: { admin: true },
    resolve: async (_r, args, ctx) => {
      const admin = ctx.principal;
      return withUserErrors(
        async () => {
          const outcome = await verifyIntegration(
            ctx.db,
            ctx.env,
            admin.tenantId,
            args.kind,
            ctx.tokens,
          );
          return {
            ok: outcome.ok,
            integration: await getIntegration(ctx.db, admin.tenantId, args.kind),
            errors: outcome.errors,
          };
        },
        { ok: false, integration: null },
      );
    },
  }),
);
