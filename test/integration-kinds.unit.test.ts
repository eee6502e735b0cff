// Unit: each integration kind's one definition (src/domain/integration-kinds/) drives the served
// GraphQL types, the input validation and which values are stored as settings or secrets.
import {
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  isInputObjectType,
  isObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/domain/errors.ts';
import { defineKind, secret, text, token } from '../src/domain/integration-kinds/define.ts';
import { INTEGRATION_KINDS, KINDS } from '../src/domain/integration-kinds/kinds.ts';
import { schema } from '../src/graph/schema/index.ts';
import { validate } from '../src/graph/validate.ts';

const TYPES = {
  LINE_WORKS: ['LineWorksMessenger', 'ConfigureLineWorksInput'],
  SLACK: ['SlackMessenger', 'ConfigureSlackInput'],
  GOOGLE_CHAT: ['GoogleChatMessenger', 'ConfigureGoogleChatInput'],
  LINE: ['LineMessenger', 'ConfigureLineInput'],
  LINE_WORKS_CALENDAR: ['LineWorksCalendar', 'ConfigureLineWorksCalendarInput'],
} as const;

const INTERFACE_FIELDS = ['kind', 'enabled', 'status', 'lastVerifiedAt', 'lastError', 'updatedAt'];

async function problemsOf(kind: keyof typeof KINDS, input: Record<string, unknown>) {
  try {
    await validate(KINDS[kind].input, input, ['input']);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.errors;
    throw err;
  }
}

describe('integration kinds', () => {
  it.each(INTEGRATION_KINDS)('%s: served types list exactly the defined fields', (kind) => {
    const [typeName, inputName] = TYPES[kind];
    const type = schema.getType(typeName) as GraphQLObjectType;
    const input = schema.getType(inputName) as GraphQLInputObjectType;
    expect(isObjectType(type) && isInputObjectType(input)).toBe(true);
    const fields = Object.entries(KINDS[kind].fields);
    const extra = kind === 'LINE' ? ['quota'] : [];
    expect(Object.keys(type.getFields())).toEqual([
      ...INTERFACE_FIELDS,
      ...fields.map(([n]) => n),
      ...extra,
    ]);
    for (const [name, field] of fields) {
      const o = field.output;
      expect(String(type.getFields()[name]?.type), `${typeName}.${name}`).toBe(
        `${o.type}${o.nullable ? '' : '!'}`,
      );
    }
    const inputs = fields.filter(([, f]) => f.input);
    expect(Object.keys(input.getFields())).toEqual(['enabled', ...inputs.map(([n]) => n)]);
    for (const [name, field] of inputs) {
      expect(String(input.getFields()[name]?.type), `${inputName}.${name}`).toBe(field.input?.type);
      expect(input.getFields()[name]?.description ?? undefined).toBe(field.input?.description);
    }
  });

  it('stores secrets sealed and settings as settings, never facts or links', () => {
    expect(KINDS.SLACK.secrets).toEqual(['botToken', 'signingSecret']);
    expect(KINDS.SLACK.settings).toEqual(['messagesPerMinute', 'tier3PerMinute']);
    expect(KINDS.LINE.secrets).toEqual([
      'loginChannelSecret',
      'messagingChannelSecret',
      'channelAccessToken',
    ]);
    expect(KINDS.LINE.settings).toEqual(['loginChannelId', 'friendUrl', 'messagingChannelId']);
    for (const kind of INTEGRATION_KINDS) {
      for (const name of KINDS[kind].secrets) {
        expect(KINDS[kind].fields[name as never]).toMatchObject({
          store: 'secret',
          output: { type: 'Secret' },
        });
      }
    }
  });

  it('a field added to a definition is validated, stored and typed from that one line', async () => {
    const kind = defineKind({
      kind: 'SLACK',
      fields: {
        botToken: secret(token('botToken', 500)),
        signingSecret: secret(token('signingSecret', 100), { output: 'Verifies clicks' }),
        region: text(token('region', 10)),
      },
      required: () => [],
    });
    expect(kind.secrets).toEqual(['botToken', 'signingSecret']);
    expect(kind.settings).toEqual(['region']);
    expect(Object.keys(kind.input.def.shape)).toEqual([
      'enabled',
      'botToken',
      'signingSecret',
      'region',
    ]);
    await expect(
      validate(kind.input, { enabled: true, signingSecret: 'a b' }, ['input']),
    ).rejects.toMatchObject({
      errors: [
        {
          code: 'INVALID',
          message: 'signingSecret must not contain spaces',
          field: ['input', 'signingSecret'],
        },
      ],
    });
  });

  it('validates with field paths and English messages; "" clears, null and omitted stay', async () => {
    expect(await problemsOf('LINE_WORKS', { enabled: true, rateLimitPerMinute: 0 })).toEqual([
      {
        code: 'INVALID',
        message: 'Too small: expected number to be >=1',
        field: ['input', 'rateLimitPerMinute'],
      },
    ]);
    expect(await problemsOf('LINE', { enabled: true, friendUrl: 'http://line.me/x' })).toEqual([
      expect.objectContaining({ field: ['input', 'friendUrl'], code: 'INVALID' }),
    ]);
    expect(await problemsOf('LINE_WORKS_CALENDAR', { enabled: true, privateKey: 'nope' })).toEqual([
      expect.objectContaining({ field: ['input', 'privateKey'], message: expect.any(String) }),
    ]);
    const parsed = await validate(
      KINDS.LINE.input,
      { enabled: false, friendUrl: '', loginChannelId: ' 1234567 ', channelAccessToken: null },
      ['input'],
    );
    expect(parsed).toEqual({
      enabled: false,
      friendUrl: '',
      loginChannelId: '1234567',
      channelAccessToken: null,
    });
  });
});
