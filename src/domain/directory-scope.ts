/**
 * Whether a verified integration may also read the provider's directory (findBindings): Slack's
 * `users:read.email` (a `missing_scope` answer names it), LINE WORKS' `user.read` (a refused token
 * request, or a 403). A missing scope is a warning in verifyIntegration's payload: messages still
 * go out, only finding members by email does not work.
 */
import { getLineWorksUser } from '../adapters/line-works/index.ts';
import { slackLookupByEmail } from '../adapters/slack/index.ts';
import type { UserError } from './errors.ts';
import type { LineWorksAppCredentials, TokenSource } from './tokens.ts';

/** An address no workspace has (RFC 2606): the lookup only tests the token's scopes. */
const PROBE_EMAIL = 'renkei-scope-check@example.invalid';

const warning = (message: string): UserError => ({
  code: 'NOT_CONFIGURED',
  message,
  field: ['scopes'],
});

/** One users.lookupByEmail (Tier 3): `missing_scope` says which scope to add. */
export async function slackDirectoryWarning(
  base: string,
  botToken: string,
  timeoutMs: number,
): Promise<UserError | null> {
  const r = await slackLookupByEmail({ base, botToken, email: PROBE_EMAIL, timeoutMs });
  if (r.ok || r.kind !== 'missing_scope') return null;
  return warning(
    `Slack: the app lacks the ${r.scope} scope, so findBindings cannot find members by email; add it under OAuth & Permissions and reinstall the app`,
  );
}

/** A `user.read` token, then `GET /users/{adminEmail}`: a refusal or a 403 names the scope. */
export async function lineWorksDirectoryWarning(
  tokens: TokenSource,
  tenantId: string,
  app: LineWorksAppCredentials,
  apiBase: string,
  adminEmail: string,
  timeoutMs: number,
): Promise<UserError | null> {
  const message =
    'LINE WORKS: the app lacks the user.read scope, so findBindings cannot find members by email; add it in the Developer Console (API › OAuth Scopes) and save the integration again';
  const token = await tokens.lineWorks(tenantId, app, ['user.read'], { fresh: true });
  if (!token.ok) return token.retryable ? null : warning(message);
  if (!adminEmail) return null;
  const r = await getLineWorksUser({
    apiBase,
    accessToken: token.token,
    id: adminEmail,
    timeoutMs,
  });
  return !r.ok && r.kind === 'missing_scope' ? warning(message) : null;
}
