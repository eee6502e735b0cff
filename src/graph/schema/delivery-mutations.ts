/** Deliveries acted on: retryDelivery (admin), sendTestNotification (admin; a member to self). */

import type { Db } from '../../db/client.ts';
import { type DeliveryRow, retryDelivery } from '../../domain/deliveries.ts';
import { InputError, type UserError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { reserveTestNotification } from '../../domain/test-notifications.ts';
import { ensureSelf, getUserByUserId } from '../../domain/users.ts';
import { emitWorkflowEvent, unknownRecipient } from '../../domain/workflow-events.ts';
import { builder } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import { ChannelEnum, UserErrorRef } from './common.ts';
import { DeliveryRef, rowIdOf } from './deliveries.ts';
import { userIdSchema } from './users.ts';

const DeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: DeliveryRow | null; errors: UserError[] }>(name).implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      delivery: t.field({ type: DeliveryRef, nullable: true, resolve: (p) => p.delivery }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('retryDelivery', (t) =>
  t.authField({
    type: DeliveryPayload('RetryDeliveryPayload'),
    description: 'Admin. Puts a FAILED delivery back on the queue.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) => {
      const admin = ctx.principal;
      return withUserErrors(
        async () => {
          const rowId = rowIdOf(args.id, 'Delivery', ['id']) as string;
          return { delivery: await retryDelivery(ctx.db, ctx.outbox, admin, rowId) };
        },
        { delivery: null },
      );
    },
  }),
);

builder.mutationField('sendTestNotification', (t) =>
  t.authField({
    type: DeliveryPayload('SendTestNotificationPayload'),
    description:
      'Admin: to anyone; user: to themselves. A localized test message through the same pipeline.',
    args: { channel: t.arg({ type: ChannelEnum, required: true }), userId: t.arg.string() },
    authScopes: { admin: true, user: true },
    resolve: (_r, args, ctx) => {
      const p = ctx.principal;
      return withUserErrors(
        async () => {
          if (p.role === 'user' && args.userId && args.userId !== p.subject) {
            throw new InputError([
              {
                code: 'INVALID',
                message: 'Members can only test their own bindings',
                field: ['userId'],
              },
            ]);
          }
          const target = args.userId ?? p.subject;
          if (!args.userId) await ensureSelf(ctx.db, p);
          else await knownRecipient(ctx.db, p.tenantId, args.userId);
          await reserveTestNotification(ctx.db, p, args.channel, target);
          const r = await emitWorkflowEvent(
            ctx.db,
            ctx.outbox,
            p,
            {
              idempotencyKey: `test:${newId()}`,
              type: 'APPROVAL_REQUESTED',
              documentId: 'renkei-test',
              title: 'Renkei',
              url: new URL('/graphql', ctx.env.PUBLIC_BASE_URL).toString(),
              recipients: [target],
              actorName: p.subject,
            },
            { channels: [args.channel], isTest: true },
          );
          return { delivery: r.deliveries?.[0] ?? null };
        },
        { delivery: null },
      );
    },
  }),
);

/**
 * A named recipient must be a member of the tenant before a test is counted: an id upsertUsers
 * would refuse, or one of no member, is refused without an audit entry (the throttle's record).
 */
async function knownRecipient(db: Db, tenantId: string, userId: string) {
  await validate(userIdSchema, userId, ['userId']);
  if (!(await getUserByUserId(db, tenantId, userId))) {
    throw new InputError([unknownRecipient(userId, ['userId'])]);
  }
}
