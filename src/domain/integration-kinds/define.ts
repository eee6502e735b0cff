/**
 * How an integration kind is declared: every field of its configure* input and of its GraphQL
 * type once, with its validation (zod/mini), its GraphQL type and description, and where its
 * value lives (settings JSON, a sealed secret, a fact a verification recorded, or a link built
 * from the public base URL). From one definition come the input's validation, the Pothos input
 * and output fields (src/graph/schema/integrations.ts) and which input values are stored as
 * settings and which are sealed. Adding a field to a kind is one line in its file.
 */
import * as z from 'zod/mini';
import type { Locale } from '../../adapters/types.ts';

export type IntegrationKind =
  | 'LINE_WORKS'
  | 'SLACK'
  | 'GOOGLE_CHAT'
  | 'LINE'
  | 'LINE_WORKS_CALENDAR';

/** The GraphQL types a kind's fields use (contract.graphql). */
export type FieldInputType = 'String' | 'Int' | 'Boolean' | 'Locale';
export type FieldOutputType = FieldInputType | 'Secret';

/** Where a field's value lives. */
export type FieldStore = 'setting' | 'secret' | 'fact' | 'link';

export interface KindField {
  store: FieldStore;
  /** The configure* input field; absent for facts and links, which an admin does not enter. */
  input?: { type: FieldInputType; schema: z.ZodMiniType; description?: string };
  output: {
    type: FieldOutputType;
    nullable: boolean;
    description?: string;
    /** The output value from the stored value and all the settings (settings and facts). */
    read?: (value: unknown, settings: Record<string, unknown>) => unknown;
    /** Links: the path under PUBLIC_BASE_URL for the tenant. */
    path?: (tenantId: string) => string;
  };
}

/** What the field helpers take: the input's and the output's GraphQL description. */
export interface FieldDocs {
  input?: string;
  output?: string;
}

/** An optional input where `""` clears the stored value. */
const clearable = (schema: z.ZodMiniType) => z.nullish(z.union([z.literal(''), schema]));

const textOf = (value: unknown): string | null => (value == null ? null : String(value));

/** A plain setting an admin enters: `String` in, `String` (nullable) out. */
export function text(schema: z.ZodMiniType, docs: FieldDocs = {}): KindField {
  return {
    store: 'setting',
    input: { type: 'String', schema: clearable(schema), description: docs.input },
    output: { type: 'String', nullable: true, description: docs.output, read: textOf },
  };
}

/** A secret: sealed at rest, never returned; its output is the contract's `Secret!`. */
export function secret(schema: z.ZodMiniType, docs: FieldDocs = {}): KindField {
  return {
    store: 'secret',
    input: { type: 'String', schema: clearable(schema), description: docs.input },
    output: { type: 'Secret', nullable: false, description: docs.output },
  };
}

/**
 * The highest per-minute limit an admin may set: far above any workspace Slack grants (hundreds
 * per minute), so that a limit set "high" in a benchmark or test workspace stops binding below
 * what one Worker can send (a million a minute is one call every 62 µs).
 */
const MAX_PER_MINUTE = 1_000_000;

/** A per-minute limit: `Int` in; out `Int!`, the setting or the default `read` applies. */
export function perMinute(
  read: (settings: Record<string, unknown>) => number,
  docs: FieldDocs = {},
): KindField {
  return {
    store: 'setting',
    input: {
      type: 'Int',
      schema: z.nullish(z.int().check(z.minimum(1), z.maximum(MAX_PER_MINUTE))),
      description: docs.input,
    },
    output: { type: 'Int', nullable: false, description: docs.output, read: (_v, s) => read(s) },
  };
}

/** An on/off setting: `Boolean` in, `Boolean!` out (unset is false). */
export function flag(docs: FieldDocs = {}): KindField {
  return {
    store: 'setting',
    input: { type: 'Boolean', schema: z.nullish(z.boolean()), description: docs.input },
    output: {
      type: 'Boolean',
      nullable: false,
      description: docs.output,
      read: (v) => v === true,
    },
  };
}

export const LOCALES = ['JA', 'EN', 'KO'] as const satisfies readonly Locale[];

/** A language setting: `Locale` in, `Locale` (nullable) out. */
export function locale(docs: FieldDocs = {}): KindField {
  return {
    store: 'setting',
    input: { type: 'Locale', schema: z.nullish(z.enum(LOCALES)), description: docs.input },
    output: { type: 'Locale', nullable: true, description: docs.output, read: (v) => v ?? null },
  };
}

/** What a verification recorded in the settings (e.g. Slack's team name): output only. */
export const fact = {
  text: (description?: string): KindField => ({
    store: 'fact',
    output: { type: 'String', nullable: true, description, read: textOf },
  }),
  flag: (description?: string): KindField => ({
    store: 'fact',
    output: {
      type: 'Boolean',
      nullable: true,
      description,
      read: (v) => (typeof v === 'boolean' ? v : null),
    },
  }),
};

/** A URL an admin pastes into the provider's console: `String!` out, built for the tenant. */
export function link(path: (tenantId: string) => string, description?: string): KindField {
  return { store: 'link', output: { type: 'String', nullable: false, description, path } };
}

export interface KindDefinition<F extends Record<string, KindField> = Record<string, KindField>> {
  kind: IntegrationKind;
  /** The GraphQL type's description. */
  description?: string;
  /** In the order the GraphQL type lists them (the input keeps the same order). */
  fields: F;
  /** Fields that must be set (after merging the input) when the integration is enabled. */
  required(merged: Record<string, unknown>): readonly string[];
  /** Enabled and nothing to verify: ACTIVE on save instead of UNVERIFIED. */
  activeWhenEnabled?: boolean;
}

/** A kind with what its fields derive: the input's schema and the stored names. */
export interface Kind<F extends Record<string, KindField> = Record<string, KindField>>
  extends KindDefinition<F> {
  /** The configure* input: `enabled` and every field with an input. */
  input: z.ZodMiniObject;
  /** Input fields stored in the settings JSON. */
  settings: readonly string[];
  /** Input fields sealed as secrets. */
  secrets: readonly string[];
}

export function defineKind<F extends Record<string, KindField>>(def: KindDefinition<F>): Kind<F> {
  const entries = Object.entries(def.fields);
  const shape: Record<string, z.ZodMiniType> = { enabled: z.boolean() };
  for (const [name, field] of entries) if (field.input) shape[name] = field.input.schema;
  return {
    ...def,
    input: z.object(shape),
    settings: entries.filter(([, f]) => f.store === 'setting').map(([n]) => n),
    secrets: entries.filter(([, f]) => f.store === 'secret').map(([n]) => n),
  };
}

// ---- validations several kinds share ----

/** A single token (id, secret, access token): no spaces, at most `max` characters. */
export const token = (label: string, max = 4096) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(max, `${label} is too long`),
      z.regex(/^\S+$/, `${label} must not contain spaces`),
    );

/** A trimmed string matching `pattern`, `message` otherwise. */
export const matching = (pattern: RegExp, message: string, max?: number) =>
  z
    .string()
    .check(z.trim(), ...(max === undefined ? [] : [z.maxLength(max)]), z.regex(pattern, message));
