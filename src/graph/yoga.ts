/** graphql-yoga over the Pothos schema: limits, error masking with request-id logging. */
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, parse } from 'graphql';
import {
  createGraphQLError,
  createYoga,
  maskError,
  type Plugin,
  type PubSub,
  useErrorHandler,
  type YogaInitialContext,
} from 'graphql-yoga';
import { countingD1, type D1Usage, openDb } from '../db/client.ts';
import { noTenantDb, tenantBinding } from '../db/shards.ts';
import { AuthError, authenticate, type Principal } from '../domain/auth.ts';
import type { DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import { ForbiddenError, InputError } from '../domain/errors.ts';
import type { LineAuthStore } from '../domain/line-link/types.ts';
import type { Logger } from '../domain/log.ts';
import type { TokenSource } from '../domain/tokens.ts';
import type { Context } from './context.ts';
import { MAX_COST, operationCost, tooCostly } from './cost.ts';
import { createLoaders } from './loaders.ts';
import { schema } from './schema/index.ts';

/** What the Worker (or the DeliveryHub object) hands yoga with each request. */
export interface ServerContext {
  env: Env;
  requestId: string;
  log: Logger;
  outbox: Outbox;
  /** Pending LINE Login states (the tenant's LineAuth object). */
  lineAuth: LineAuthStore;
  /** Provider access tokens (TokenVault). */
  tokens: TokenSource;
  /** Set inside DeliveryHub: the caller the Worker already verified. */
  principal?: Principal;
  /** Set inside DeliveryHub: the tenant's subscription fan-out. */
  pubsub?: HubPubSub;
}

export type HubPubSub = PubSub<{ delivery: [DeliveryUpdate] }>;

export const MAX_DEPTH = 10;
export const MAX_TOKENS = 20_000;

/** Each request's D1 count, read back when the response goes out. */
const d1Usage = new WeakMap<Request, D1Usage>();

async function makeContext(init: YogaInitialContext & ServerContext): Promise<Context> {
  const { env, requestId, log, request, outbox, lineAuth, tokens, pubsub } = init;
  let principal: Context['principal'] = init.principal ?? null;
  let authError: string | null = null;
  if (!principal) {
    try {
      principal = await authenticate(env, request.headers.get('authorization'));
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      authError = err.message;
    }
  }
  const usage: D1Usage = { statements: 0, roundTrips: 0 };
  d1Usage.set(request, usage);
  const db = principal
    ? openDb(countingD1(await tenantBinding(env, principal.tenantId), usage))
    : noTenantDb();
  return {
    env,
    db,
    loaders: createLoaders(db, principal?.tenantId ?? ''),
    principal,
    authError,
    requestId,
    outbox,
    lineAuth,
    tokens,
    pubsub: pubsub ?? null,
    log: principal ? log.child({ tenant: principal.tenantId, sub: principal.subject }) : log,
  };
}

/**
 * yoga's GET and form parsers `JSON.parse` the `variables` and `extensions` parameters
 * unguarded, so broken JSON there became a masked 500; it is the caller's mistake: a 400.
 */
const invalidJsonParams: Plugin = {
  onRequestParse({ requestParser, setRequestParser }) {
    if (!requestParser) return;
    setRequestParser(async (request) => {
      try {
        return await requestParser(request);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        throw createGraphQLError('The variables or extensions parameter is not valid JSON.', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      }
    });
  },
};

/**
 * The token limit, enforced by graphql's own parser (`maxTokens`). graphql-armor's max-tokens
 * parser imported `graphql/language/parser`, which the Worker bundle resolves to graphql's
 * CommonJS copy: its syntax errors were not `GraphQLError`s to yoga and came back as 500s.
 */
const tokenLimit: Plugin = {
  onParse({ setParseFn }) {
    setParseFn((source, options) => parse(source, { ...options, maxTokens: MAX_TOKENS }));
  },
};

/**
 * Every response says how many D1 statements it took (`Server-Timing: d1;desc="…"`), and the
 * request log line records it: D1 allows 1,000 per invocation.
 */
const d1Reporting: Plugin = {
  onResponse({ request, response, serverContext }) {
    const usage = d1Usage.get(request);
    if (!usage) return;
    response.headers.append(
      'server-timing',
      `d1;desc="${usage.statements} statements in ${usage.roundTrips} round trips"`,
    );
    (serverContext as Partial<ServerContext> | undefined)?.log?.info('graphql d1', { ...usage });
  },
};

function costOf(args: {
  schema: Parameters<typeof operationCost>[0];
  document: Parameters<typeof operationCost>[1];
  operationName?: string | null;
  variableValues?: unknown;
}): number {
  try {
    return operationCost(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues as Record<string, unknown> | null | undefined,
    );
  } catch {
    // Inputs the cost cannot read (bad variables) fail in execution with a proper error.
    return 0;
  }
}

/** Refuses an operation over MAX_COST before any resolver runs (cost.ts). */
const costLimit: Plugin = {
  onExecute({ args, setResultAndStopExecution }) {
    const cost = costOf(args);
    if (cost > MAX_COST) setResultAndStopExecution({ errors: [tooCostly(cost)] });
  },
  onSubscribe({ args, setResultAndStopExecution }) {
    const cost = costOf(args);
    if (cost > MAX_COST) setResultAndStopExecution({ errors: [tooCostly(cost)] });
  },
};

export const yoga = createYoga<ServerContext, Context>({
  schema,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  // GraphiQL is served by the Worker from its own assets (src/workers/graphiql-page.ts).
  graphiql: false,
  context: makeContext as never,
  maskedErrors: {
    // Never dev mode: `wrangler dev` must not put an internal message or a stack in a response.
    isDev: false,
    // Domain errors outside a mutation payload become coded GraphQL errors; the rest is masked.
    maskError(error, message) {
      const original = (error as { originalError?: unknown }).originalError;
      if (original instanceof InputError) {
        return new GraphQLError(original.message, {
          extensions: { code: 'BAD_USER_INPUT', errors: original.errors },
        });
      }
      if (original instanceof ForbiddenError) {
        return new GraphQLError(original.message, { extensions: { code: 'FORBIDDEN' } });
      }
      return maskError(error, message, false);
    },
  },
  plugins: [
    invalidJsonParams,
    maxDepthPlugin({
      n: MAX_DEPTH,
      // A coded validation error (GraphQL over HTTP: 400 for graphql-response+json), not the
      // plugin's "Syntax Error" without a code.
      propagateOnRejection: false,
      onReject: [
        (context, error) =>
          context?.reportError(
            new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
              extensions: { code: 'QUERY_TOO_DEEP', limit: MAX_DEPTH },
            }),
          ),
      ],
    }),
    tokenLimit,
    costLimit,
    d1Reporting,
    // Unexpected errors are masked by yoga; the log line carries the request id to find them.
    useErrorHandler(({ errors, context, phase }) => {
      if (phase !== 'execution') return;
      const log = (context as Partial<Context>).log;
      for (const error of errors) {
        const original = (error as { originalError?: unknown }).originalError;
        if (!(original instanceof Error) || original instanceof GraphQLError) continue;
        if (original instanceof InputError || original instanceof ForbiddenError) continue;
        log?.error('unexpected error in resolver', {
          error: `${original.name}: ${original.message}`,
          stack: original.stack,
        });
      }
    }),
  ],
});
