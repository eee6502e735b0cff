/** Workflow events in: the event input, its validation, and emitWorkflowEvent (service). */
import * as z from 'zod/mini';
import type { EventRow } from '../../domain/deliveries.ts';
import type { UserError } from '../../domain/errors.ts';
import { preferenceNow } from '../../domain/preferences/index.ts';
import { emitWorkflowEvent } from '../../domain/workflow-events.ts';
import { builder } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import { DecisionActionEnum, NotificationTypeEnum, UserErrorRef } from './common.ts';
import { WorkflowEventRef } from './deliveries.ts';

const WorkflowEventInput = builder.inputType('WorkflowEventInput', {
  fields: (t) => ({
    idempotencyKey: t.string({
      required: true,
      description: "WORKPLACE's own event id; a repeat returns the first event",
    }),
    type: t.field({ type: NotificationTypeEnum, required: true }),
    documentId: t.string({ required: true }),
    title: t.string({ required: true }),
    url: t.string({ required: true, description: 'https link back to the document in WORKPLACE' }),
    actorName: t.string(),
    comment: t.string(),
    recipients: t.stringList({ required: true, description: 'WORKPLACE user ids' }),
    occurredAt: t.field({ type: 'DateTime' }),
    actions: t.field({
      type: [DecisionActionEnum],
      description:
        'Offered to every recipient in Slack, LINE and LINE WORKS (none without WORKPLACE_WEBHOOK_URL)',
    }),
  }),
});

const nonEmpty = (label: string, max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, { message: `${label} is required`, abort: true }),
      z.maxLength(max, `${label} is at most ${max} characters`),
    );
const EventSchema = z.object({
  idempotencyKey: nonEmpty('idempotencyKey', 200),
  type: z.string(),
  documentId: nonEmpty('documentId', 200),
  title: nonEmpty('title', 500),
  url: z.url({ protocol: /^https$/, error: 'url must be an https URL' }).check(z.maxLength(2048)),
  actorName: z.nullish(z.string().check(z.trim(), z.maxLength(200))),
  comment: z.nullish(z.string().check(z.maxLength(5000, 'comment is at most 5,000 characters'))),
  recipients: z
    .array(nonEmpty('recipient', 200))
    .check(
      z.minLength(1, 'At least one recipient'),
      z.maxLength(5000, 'At most 5,000 recipients per event'),
    ),
  occurredAt: z.nullish(z.string()),
  actions: z.nullish(z.array(z.enum(['APPROVE', 'REJECT', 'RETURN'])).check(z.maxLength(3))),
});

const EmitPayload = builder
  .objectRef<{ event: EventRow | null; duplicate: boolean; errors: UserError[] }>(
    'EmitWorkflowEventPayload',
  )
  .implement({
    authScopes: { service: true },
    fields: (t) => ({
      event: t.field({ type: WorkflowEventRef, nullable: true, resolve: (p) => p.event }),
      duplicate: t.exposeBoolean('duplicate'),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('emitWorkflowEvent', (t) =>
  t.authField({
    type: EmitPayload,
    description:
      'Service. Idempotent on idempotencyKey: a repeat returns the first event with duplicate: true.',
    args: { input: t.arg({ type: WorkflowEventInput, required: true }) },
    authScopes: { service: true },
    resolve: (_r, args, ctx) => {
      const service = ctx.principal;
      return withUserErrors(
        async () => {
          const input = await validate(EventSchema, args.input, ['input']);
          const r = await emitWorkflowEvent(
            ctx.db,
            ctx.outbox,
            service,
            { ...input, type: args.input.type },
            {
              now: preferenceNow(ctx.env),
              decisionsEnabled: Boolean(ctx.env.WORKPLACE_WEBHOOK_URL),
            },
          );
          return { event: r.event, duplicate: r.duplicate };
        },
        { event: null, duplicate: false },
      );
    },
  }),
);
