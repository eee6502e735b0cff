/**
 * サービス連携設定: the five integrations, their configure* mutations and verification. Each
 * kind's fields (input, validation, output) come from its definition in
 * src/domain/integration-kinds/; this file only names the GraphQL types.
 */
import { ensureLineWorksBot } from '../../domain/bot-registration.ts';
import { lineWorksCallbackUrl } from '../../domain/decisions/inbound-urls.ts';
import type { UserError } from '../../domain/errors.ts';
import type { IntegrationKind, KindField } from '../../domain/integration-kinds/define.ts';
import { INTEGRATION_KINDS, KINDS } from '../../domain/integration-kinds/kinds.ts';
import {
  configureIntegration,
  getIntegration,
  type IntegrationView,
  listIntegrations,
  type SecretView,
} from '../../domain/integrations.ts';
import type { LineQuotaView } from '../../domain/line-quota.ts';
import { verifyIntegration } from '../../domain/verify.ts';
import { type BuilderTypes, builder } from '../builder.ts';
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

/** Each kind's GraphQL type (contract.graphql). */
const TYPE_NAMES: Record<IntegrationKind, string> = {
  LINE_WORKS: 'LineWorksMessenger',
  SLACK: 'SlackMessenger',
  GOOGLE_CHAT: 'GoogleChatMessenger',
  LINE: 'LineMessenger',
  LINE_WORKS_CALENDAR: 'LineWorksCalendar',
};

/** The kind's field on Integrations: LINE_WORKS_CALENDAR → lineWorksCalendar. */
const fieldName = (kind: IntegrationKind) =>
  kind.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

const secretOf = (v: IntegrationView, name: string): SecretView =>
  v.secrets[name] ?? { configured: false, hint: null, updatedAt: null };

const OUTPUT_TYPES = {
  String: 'String',
  Int: 'Int',
  Boolean: 'Boolean',
  Locale: LocaleEnum,
  Secret: SecretRef,
} as const;

type ObjectFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, IntegrationView>;

/** The output field of a kind's field: a stored setting or fact, a secret's metadata, a link. */
function outputField(t: ObjectFieldBuilder, name: string, field: KindField) {
  const { output } = field;
  return t.field({
    type: OUTPUT_TYPES[output.type] as never,
    nullable: output.nullable,
    description: output.description,
    resolve: (v, _args, ctx) => {
      if (field.store === 'secret') return secretOf(v, name) as never;
      if (output.path) {
        const path = output.path(ctx.principal?.tenantId ?? '');
        return new URL(path, ctx.env.PUBLIC_BASE_URL).toString() as never;
      }
      return (output.read ? output.read(v.settings[name], v.settings) : null) as never;
    },
  });
}

/** A kind's GraphQL type: the Integration fields and the kind's own, from its definition. */
function integrationType(kind: IntegrationKind) {
  const def = KINDS[kind];
  return builder.objectRef<IntegrationView>(TYPE_NAMES[kind]).implement({
    description: def.description,
    interfaces: [IntegrationRef],
    authScopes: { admin: true },
    fields: (t) =>
      Object.fromEntries(
        Object.entries(def.fields as Record<string, KindField>).map(([name, field]) => [
          name,
          outputField(t, name, field),
        ]),
      ),
  });
}

const REFS = Object.fromEntries(INTEGRATION_KINDS.map((k) => [k, integrationType(k)])) as Record<
  IntegrationKind,
  ReturnType<typeof integrationType>
>;

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

builder.objectFields(REFS.LINE, (t) => ({
  quota: t.field({
    type: LineQuotaRef,
    nullable: true,
    description:
      "This month's message quota, read on verifyIntegration, after sending and daily; null until first read",
    resolve: (v) => v.quota ?? null,
  }),
}));

const IntegrationsRef = builder
  .objectRef<Record<IntegrationKind, IntegrationView>>('Integrations')
  .implement({
    authScopes: { admin: true },
    fields: (t) =>
      Object.fromEntries(
        INTEGRATION_KINDS.map((kind) => [
          fieldName(kind),
          t.field({ type: REFS[kind], resolve: (i) => i[kind] }),
        ]),
      ),
  });

builder.queryField('integrations', (t) =>
  t.authField({
    type: IntegrationsRef,
    description: 'Admin',
    authScopes: { admin: true },
    resolve: (_r, _a, ctx) => listIntegrations(ctx.db, ctx.principal.tenantId),
  }),
);

// ---- configure* mutations ----

const INPUT_TYPES = {
  String: 'String',
  Int: 'Int',
  Boolean: 'Boolean',
  Locale: LocaleEnum,
} as const;

/** A step after a successful save (LINE WORKS: bot registration); returns what to tell the admin. */
type AfterSave = (ctx: Context, tenantId: string) => Promise<UserError[]>;

const AFTER_SAVE: Partial<Record<IntegrationKind, AfterSave>> = {
  LINE_WORKS: (ctx, tenantId) =>
    ensureLineWorksBot(
      ctx.db,
      ctx.env.SECRETS_KEY,
      ctx.tokens,
      tenantId,
      lineWorksCallbackUrl(ctx.env, tenantId),
    ),
};

/** `configure<Kind>(input)`: the input type and validation both come from the kind's fields. */
function configureMutation(kind: IntegrationKind) {
  const def = KINDS[kind];
  const field = fieldName(kind);
  const name = `configure${field[0]?.toUpperCase()}${field.slice(1)}`;
  const pascal = `${name[0]?.toUpperCase()}${name.slice(1)}`;
  const Input = builder.inputType(`${pascal}Input`, {
    fields: (t) => ({
      enabled: t.boolean({ required: true }),
      ...Object.fromEntries(
        Object.entries(def.fields as Record<string, KindField>).flatMap(([inputName, { input }]) =>
          input
            ? [
                [
                  inputName,
                  t.field({
                    type: INPUT_TYPES[input.type] as never,
                    description: input.description,
                  }),
                ],
              ]
            : [],
        ),
      ),
    }),
  });
  const Payload = builder
    .objectRef<{ integration: IntegrationView | null; errors: UserError[] }>(`${pascal}Payload`)
    .implement({
      authScopes: { admin: true },
      fields: (t) => ({
        integration: t.field({ type: REFS[kind], nullable: true, resolve: (p) => p.integration }),
        errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
      }),
    });
  const afterSave = AFTER_SAVE[kind];
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
            const input = await validate(def.input, args.input, ['input']);
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

for (const kind of INTEGRATION_KINDS) configureMutation(kind);

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
