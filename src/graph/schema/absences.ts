/** Absences (マイ不在日程) and their LINE WORKS calendar sync: upsert, cancel, list. */
import * as z from 'zod/mini';
import {
  type AbsenceInput,
  type AbsenceRow,
  cancelAbsence,
  DEFAULT_TIME_ZONE,
  getAbsenceByRowId,
  listAbsences,
  MAX_ABSENCES_LISTED,
  upsertAbsence,
} from '../../domain/absences.ts';
import type { UserError } from '../../domain/errors.ts';
import { InputError } from '../../domain/errors.ts';
import { toGlobalId } from '../../domain/ids.ts';
import { builder, memberRow } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import { NodeRef, UserErrorRef } from './common.ts';
import { registerNodeLoader } from './node.ts';
import { UserRef } from './users.ts';

const AbsenceSyncStatusEnum = builder.enumType('AbsenceSyncStatus', {
  values: ['PENDING', 'SYNCED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const,
});

const AbsenceRef = builder.objectRef<AbsenceRow>('Absence').implement({
  description: "An absence from WORKPLACE and its place in the member's LINE WORKS calendar.",
  interfaces: [NodeRef],
  authScopes: (a) => memberRow(a.userRowId),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'absenceId' in v && 'syncStatus' in v,
  fields: (t) => ({
    id: t.id({ resolve: (a) => toGlobalId('Absence', a.id) }),
    absenceId: t.exposeString('absenceId', { description: "WORKPLACE's id" }),
    user: t.field({
      type: UserRef,
      resolve: async (a, _args, ctx) => {
        const user = await ctx.loaders.userByRowId.load(a.userRowId);
        if (!user) throw new Error('The member of this absence no longer exists');
        return user;
      },
    }),
    title: t.exposeString('title'),
    startDate: t.field({ type: 'Date', resolve: (a) => a.startDate }),
    endDate: t.field({ type: 'Date', description: 'Inclusive', resolve: (a) => a.endDate }),
    allDay: t.exposeBoolean('allDay'),
    startTime: t.exposeString('startTime', { nullable: true, description: 'HH:mm' }),
    endTime: t.exposeString('endTime', { nullable: true, description: 'HH:mm' }),
    timeZone: t.exposeString('timeZone'),
    note: t.exposeString('note', { nullable: true }),
    syncStatus: t.field({ type: AbsenceSyncStatusEnum, resolve: (a) => a.syncStatus as never }),
    calendarEventId: t.exposeString('calendarEventId', { nullable: true }),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why SKIPPED or FAILED (or the last transient problem while PENDING)',
    }),
    updatedAt: t.field({ type: 'DateTime', resolve: (a) => a.updatedAt }),
  }),
});

registerNodeLoader('Absence', (ctx, tenantId, rowId) => getAbsenceByRowId(ctx.db, tenantId, rowId));

builder.queryField('absences', (t) =>
  t.authField({
    type: [AbsenceRef],
    description:
      'Admin, service: any member (or all); user: their own. Absences overlapping [from, to].',
    args: { userId: t.arg.string(), from: t.arg({ type: 'Date' }), to: t.arg({ type: 'Date' }) },
    authScopes: { admin: true, service: true, user: true },
    extensions: { maxItems: MAX_ABSENCES_LISTED },
    resolve: async (_r, args, ctx) => {
      const p = ctx.principal;
      let userId = args.userId ?? null;
      if (p.role === 'user') {
        if (userId && userId !== p.subject) return [];
        userId = p.subject;
      }
      let userRowId: string | null = null;
      if (userId) {
        const user = await ctx.loaders.userByUserId.load(userId);
        if (!user) return [];
        userRowId = user.id;
      }
      return listAbsences(ctx.db, p.tenantId, { userRowId, from: args.from, to: args.to });
    },
  }),
);

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const AbsenceInputSchema = z
  .object({
    absenceId: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
    userId: z.string().check(z.trim(), z.minLength(1), z.maxLength(256)),
    title: z.string().check(z.trim(), z.minLength(1, 'title is required'), z.maxLength(200)),
    startDate: z.string(),
    endDate: z.string(),
    allDay: z.boolean(),
    startTime: z.nullish(z.string().check(z.regex(TIME, 'startTime must be HH:mm'))),
    endTime: z.nullish(z.string().check(z.regex(TIME, 'endTime must be HH:mm'))),
    timeZone: z.pipe(
      z.nullish(
        z
          .string()
          .check(
            z.trim(),
            z.maxLength(64),
            z.refine(isTimeZone, 'timeZone must be an IANA time zone such as Asia/Tokyo'),
          ),
      ),
      z.transform((z) => z || DEFAULT_TIME_ZONE),
    ),
    note: z.nullish(z.string().check(z.maxLength(2000))),
  })
  .check(
    z.superRefine((a, ctx) => {
      if (a.endDate < a.startDate) {
        ctx.addIssue({ code: 'custom', message: 'endDate is before startDate', path: ['endDate'] });
      }
      if (a.allDay) return;
      for (const key of ['startTime', 'endTime'] as const) {
        if (!a[key]) {
          ctx.addIssue({
            code: 'custom',
            message: `${key} is required when allDay is false`,
            path: [key],
          });
        }
      }
      if (a.startTime && a.endTime && a.startDate === a.endDate && a.endTime <= a.startTime) {
        ctx.addIssue({
          code: 'custom',
          message: 'endTime must be after startTime',
          path: ['endTime'],
        });
      }
    }),
  );

const AbsenceInputRef = builder.inputType('AbsenceInput', {
  fields: (t) => ({
    absenceId: t.string({ required: true }),
    userId: t.string({ required: true }),
    title: t.string({ required: true }),
    startDate: t.field({ type: 'Date', required: true }),
    endDate: t.field({ type: 'Date', required: true, description: 'Inclusive' }),
    allDay: t.boolean({ required: true }),
    startTime: t.string({ description: 'HH:mm, required when allDay is false' }),
    endTime: t.string(),
    timeZone: t.string({ description: 'IANA, default Asia/Tokyo' }),
    note: t.string(),
  }),
});

type AbsencePayload = { absence: AbsenceRow | null; errors: UserError[] };
const payload = (name: string) =>
  builder.objectRef<AbsencePayload>(name).implement({
    authScopes: { service: true },
    fields: (t) => ({
      absence: t.field({ type: AbsenceRef, nullable: true, resolve: (p) => p.absence }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });
const UpsertAbsencePayload = payload('UpsertAbsencePayload');
const CancelAbsencePayload = payload('CancelAbsencePayload');

builder.mutationField('upsertAbsence', (t) =>
  t.authField({
    type: UpsertAbsencePayload,
    description:
      "Service. Records the absence and syncs it to the member's LINE WORKS calendar; " +
      'sending the same absence again changes nothing.',
    args: { input: t.arg({ type: AbsenceInputRef, required: true }) },
    authScopes: { service: true },
    resolve: (_r, args, ctx) => {
      const service = ctx.principal;
      return withUserErrors(
        async () => {
          const input = (await validate(AbsenceInputSchema, args.input, ['input'])) as AbsenceInput;
          return { absence: await upsertAbsence(ctx.db, ctx.outbox.queue, service, input) };
        },
        { absence: null },
      );
    },
  }),
);

builder.mutationField('cancelAbsence', (t) =>
  t.authField({
    type: CancelAbsencePayload,
    description: "Service. Removes the absence from the member's LINE WORKS calendar.",
    args: { absenceId: t.arg.string({ required: true }) },
    authScopes: { service: true },
    resolve: (_r, args, ctx) => {
      const service = ctx.principal;
      return withUserErrors(
        async () => {
          if (!args.absenceId.trim()) {
            throw new InputError([
              { code: 'REQUIRED', message: 'absenceId is required', field: ['absenceId'] },
            ]);
          }
          return {
            absence: await cancelAbsence(ctx.db, ctx.outbox.queue, service, args.absenceId),
          };
        },
        { absence: null },
      );
    },
  }),
);
