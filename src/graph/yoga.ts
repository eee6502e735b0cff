/** graphql-yoga over the Pothos schema: limits, error masking with request-id logging. */
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError } from 'graphql';
import {
  createGraphQLError,
  createYoga,
  maskError,
  type Plugin,
  type PubSub,
  useErrorHandler,
  type YogaInitialContext,
} from 'graphql-yoga';
import { openDb } from '../db/client.ts';
import { AuthError, authenticate, type Principal } from '../domain/auth.ts';
import type { DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import { ForbiddenError, InputError } from '../domain/errors.ts';
import type { LineAuthStore } from '../domain/line-login.ts';
import type { Logger } from '../domain/log.ts';
import type { TokenSource } from '../domain/tokens.ts';
import type { Context } from './context.ts';
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
  return {
    env,
    db: openDb(env.DB),
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

export const yoga = createYoga<ServerContext, Context>({
  schema,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  // GraphiQL is served by the Worker from its own assets (src/workers/graphiql-page.ts).
  graphiql: false,
  context: makeContext as never,
  maskedErrors: {
    // Domain errors outside a mutation payload become coded GraphQL errors; the rest is masked.
    maskError(error, message, isDev) {
      const original = (error as { originalError?: unknown }).originalError;
      if (original instanceof InputError) {
        return new GraphQLError(original.message, {
          extensions: { code: 'BAD_USER_INPUT', errors: original.errors },
        });
      }
      if (original instanceof ForbiddenError) {
        return new GraphQLError(original.message, { extensions: { code: 'FORBIDDEN' } });
      }
      return maskError(error, message, isDev);
    },
  },
  plugins: [
    invalidJsonParams,
    maxDepthPlugin({ n: MAX_DEPTH }),
    maxTokensPlugin({ n: MAX_TOKENS }),
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
