/** 通知管理: the notification type × channel matrix. */
import type { UserError } from '../../domain/errors.ts';
import {
  CHANNELS,
  listRules,
  NOTIFICATION_TYPES,
  type NotificationRule,
  setRules,
} from '../../domain/rules.ts';
import { builder } from '../builder.ts';
import { withUserErrors } from '../validate.ts';
import { ChannelEnum, NotificationTypeEnum, UserErrorRef } from './common.ts';

const RuleRef = builder.objectRef<NotificationRule>('NotificationRule').implement({
  authScopes: { admin: true },
  fields: (t) => ({
    type: t.field({ type: NotificationTypeEnum, resolve: (r) => r.type }),
    channel: t.field({ type: ChannelEnum, resolve: (r) => r.channel }),
    enabled: t.exposeBoolean('enabled'),
    required: t.exposeBoolean('required', {
      description: 'Members cannot switch this type off on this channel',
    }),
    urgent: t.exposeBoolean('urgent', { description: "Ignores members' quiet hours and digests" }),
  }),
});

const RuleInput = builder.inputType('NotificationRuleInput', {
  fields: (t) => ({
    type: t.field({ type: NotificationTypeEnum, required: true }),
    channel: t.field({ type: ChannelEnum, required: true }),
    enabled: t.boolean({ required: true }),
    required: t.boolean({
      description: 'Default false; left out, an existing cell keeps its value',
    }),
    urgent: t.boolean({ description: 'Default false; left out, an existing cell keeps its value' }),
  }),
});

const SetRulesPayload = builder
  .objectRef<{ rules: NotificationRule[]; errors: UserError[] }>('SetNotificationRulesPayload')
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      rules: t.field({ type: [RuleRef], resolve: (p) => p.rules }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.queryField('notificationRules', (t) =>
  t.authField({
    type: [RuleRef],
    description: 'Admin. The whole type × channel matrix; all off until an admin turns one on.',
    authScopes: { admin: true },
    extensions: { maxItems: NOTIFICATION_TYPES.length * CHANNELS.length },
    resolve: (_r, _a, ctx) => listRules(ctx.db, ctx.principal.tenantId),
  }),
);

builder.mutationField('setNotificationRules', (t) =>
  t.authField({
    type: SetRulesPayload,
    description: 'Admin. Sets the given cells; cells not mentioned stay as they are.',
    args: { rules: t.arg({ type: [RuleInput], required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) => {
      const admin = ctx.principal;
      return withUserErrors(async () => ({ rules: await setRules(ctx.db, admin, args.rules) }), {
        rules: [],
      });
    },
  }),
);
