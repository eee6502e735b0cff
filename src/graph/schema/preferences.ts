/** Members' preferences: channel choices, quiet hours and digest (User.preferences, updateMyPreferences). */
import * as z from 'zod/mini';
import type { Channel, NotificationType } from '../../adapters/types.ts';
import type { UserError } from '../../domain/errors.ts';
import {
  type ChannelChoice,
  type DigestSettings,
  HH_MM,
  isTimeZone,
  NO_PREFERENCES,
  type Preferences,
  preferenceNow,
  type QuietHours,
  reholdMember,
  updatePreferences,
  WEEKDAYS,
} from '../../domain/preferences/index.ts';
import { CHANNELS, NOTIFICATION_TYPES } from '../../domain/rules.ts';
import { ensureSelf, type UserRow } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import { ChannelEnum, NotificationTypeEnum, UserErrorRef } from './common.ts';
import { UserRef } from './users.ts';

/** A member's own settings: the member and admins of the tenant; services never. */
const ownerOnly = (userRowId: string) => ({ admin: true, self: userRowId });

type Owned<T> = T & { userRowId: string };

const WeekdayEnum = builder.enumType('Weekday', { values: WEEKDAYS });

const QuietHoursRef = builder.objectRef<Owned<QuietHours>>('QuietHours').implement({
  description:
    'Hours in which nothing but urgent types is delivered; held deliveries go out when they end.',
  authScopes: (q) => ownerOnly(q.userRowId),
  fields: (t) => ({
    start: t.exposeString('start', { description: 'HH:mm' }),
    end: t.exposeString('end', { description: 'HH:mm; at or before start: the next day' }),
    days: t.field({
      type: [WeekdayEnum],
      description: 'The days a window starts on',
      resolve: (q) => q.days,
    }),
    timeZone: t.exposeString('timeZone'),
  }),
});

const DigestSettingsRef = builder.objectRef<Owned<DigestSettings>>('DigestSettings').implement({
  description:
    'Non-urgent types in `types` are collected and sent as one message per channel at each time in `at`.',
  authScopes: (d) => ownerOnly(d.userRowId),
  fields: (t) => ({
    types: t.field({ type: [NotificationTypeEnum], resolve: (d) => d.types }),
    at: t.exposeStringList('at', { description: 'HH:mm, each day' }),
    timeZone: t.exposeString('timeZone'),
  }),
});

const ChannelPreferenceRef = builder
  .objectRef<Owned<{ type: NotificationType; channel: Channel; enabled: boolean }>>(
    'ChannelPreference',
  )
  .implement({
    authScopes: (c) => ownerOnly(c.userRowId),
    fields: (t) => ({
      type: t.field({ type: NotificationTypeEnum, resolve: (c) => c.type }),
      channel: t.field({ type: ChannelEnum, resolve: (c) => c.channel }),
      enabled: t.exposeBoolean('enabled'),
    }),
  });

const PreferencesRef = builder.objectRef<Owned<Preferences>>('Preferences').implement({
  authScopes: (p) => ownerOnly(p.userRowId),
  fields: (t) => ({
    channels: t.field({
      type: [ChannelPreferenceRef],
      description: 'Only what the member switched off; everything else follows the rules',
      extensions: { maxItems: NOTIFICATION_TYPES.length * CHANNELS.length },
      resolve: (p) => p.channelsOff.map((c) => ({ ...c, enabled: false, userRowId: p.userRowId })),
    }),
    quietHours: t.field({
      type: QuietHoursRef,
      nullable: true,
      resolve: (p) => (p.quietHours ? { ...p.quietHours, userRowId: p.userRowId } : null),
    }),
    digest: t.field({
      type: DigestSettingsRef,
      nullable: true,
      resolve: (p) => (p.digest ? { ...p.digest, userRowId: p.userRowId } : null),
    }),
  }),
});

builder.objectField(UserRef, 'preferences', (t) =>
  t.field({
    type: PreferencesRef,
    description: 'The member and admins only: channel choices, quiet hours, digest',
    authScopes: (u: UserRow) => ownerOnly(u.id),
    resolve: async (u, _a, ctx) => ({
      ...((await ctx.loaders.preferences.load(u.id)) ?? NO_PREFERENCES),
      userRowId: u.id,
    }),
  }),
);

const QuietHoursInput = builder.inputType('QuietHoursInput', {
  fields: (t) => ({
    start: t.string({ required: true, description: 'HH:mm' }),
    end: t.string({ required: true, description: 'HH:mm; at or before start: the next day' }),
    days: t.field({ type: [WeekdayEnum], required: true }),
    timeZone: t.string({ description: "IANA; default the locale's usual zone, else Asia/Tokyo" }),
  }),
});
const DigestSettingsInput = builder.inputType('DigestSettingsInput', {
  fields: (t) => ({
    types: t.field({ type: [NotificationTypeEnum], required: true }),
    at: t.stringList({ required: true, description: 'HH:mm, each day' }),
    timeZone: t.string({ description: "IANA; default the locale's usual zone, else Asia/Tokyo" }),
  }),
});
const ChannelPreferenceInput = builder.inputType('ChannelPreferenceInput', {
  fields: (t) => ({
    type: t.field({ type: NotificationTypeEnum, required: true }),
    channel: t.field({ type: ChannelEnum, required: true }),
    enabled: t.boolean({ required: true }),
  }),
});
const UpdateMyPreferencesInput = builder.inputType('UpdateMyPreferencesInput', {
  fields: (t) => ({
    channels: t.field({
      type: [ChannelPreferenceInput],
      description: "Replaces the member's channel choices",
    }),
    quietHours: t.field({ type: QuietHoursInput, description: 'null clears' }),
    digest: t.field({ type: DigestSettingsInput, description: 'null clears' }),
  }),
});

const time = (what: string) =>
  z.string().check(z.regex(HH_MM, `${what} must be a time of day as HH:mm (00:00–23:59)`));
const timeZone = z.nullish(
  z.string().check(z.refine(isTimeZone, 'timeZone must be an IANA time zone such as Asia/Tokyo')),
);
const notificationType = z.enum(NOTIFICATION_TYPES as [NotificationType, ...NotificationType[]]);
const PreferencesSchema = z.object({
  channels: z.nullish(
    z
      .array(
        z.object({
          type: notificationType,
          channel: z.enum(CHANNELS as [Channel, ...Channel[]]),
          enabled: z.boolean(),
        }),
      )
      .check(
        z.maxLength(NOTIFICATION_TYPES.length * CHANNELS.length * 2, 'Too many channel choices'),
      ),
  ),
  quietHours: z.nullish(
    z
      .object({
        start: time('start'),
        end: time('end'),
        days: z.array(z.enum(WEEKDAYS)).check(z.minLength(1, 'days must name at least one day')),
        timeZone,
      })
      .check(
        z.refine((q) => q.start !== q.end, {
          message: 'end must differ from start (quiet hours are shorter than a day)',
          path: ['end'],
        }),
      ),
  ),
  digest: z.nullish(
    z.object({
      types: z
        .array(notificationType)
        .check(z.minLength(1, 'types must name at least one notification type')),
      at: z
        .array(time('each time in at'))
        .check(
          z.minLength(1, 'at must name at least one time of day'),
          z.maxLength(24, 'at most 24 digest times a day'),
        ),
      timeZone,
    }),
  ),
});

const UpdateMyPreferencesPayload = builder
  .objectRef<{ user: UserRow | null; errors: UserError[] }>('UpdateMyPreferencesPayload')
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      user: t.field({ type: UserRef, nullable: true, resolve: (p) => p.user }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('updateMyPreferences', (t) =>
  t.authField({
    type: UpdateMyPreferencesPayload,
    description:
      "User, admin (own): the caller's channel choices, quiet hours and digest. A field left out stays as it is.",
    args: { input: t.arg({ type: UpdateMyPreferencesInput, required: true }) },
    authScopes: { user: true, admin: true },
    resolve: (_r, args, ctx) => {
      const caller = ctx.principal;
      return withUserErrors(
        async () => {
          const input = await validate(PreferencesSchema, args.input, ['input']);
          const member = await ensureSelf(ctx.db, caller);
          const prefs = await updatePreferences(ctx.db, caller, member, {
            ...(input.channels !== undefined
              ? { channels: input.channels as ChannelChoice[] | null }
              : {}),
            ...(input.quietHours !== undefined ? { quietHours: input.quietHours } : {}),
            ...(input.digest !== undefined ? { digest: input.digest } : {}),
          });
          // Held deliveries follow the new settings at once.
          await reholdMember(
            { db: ctx.db, queue: ctx.outbox.queue, publish: ctx.outbox.publish },
            caller.tenantId,
            member,
            prefs,
            preferenceNow(ctx.env),
          );
          ctx.loaders.preferences.clear(member.id);
          ctx.loaders.userByUserId.clear(member.userId).prime(member.userId, member);
          return { user: member };
        },
        { user: null },
      );
    },
  }),
);
