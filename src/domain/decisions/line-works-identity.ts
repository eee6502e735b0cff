/**
 * A member's permanent LINE WORKS resource id (v2 facts › LINE WORKS): bot callbacks name the
 * clicker by it, while Renkei sends to the login id. Learned with `GET /users/{loginId}` (scope
 * `user.read`) the first time it is needed, then cached on the member.
 */
import { and, eq } from 'drizzle-orm';
import { getLineWorksUser } from '../../adapters/line-works/index.ts';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { lineWorksUserIdOf } from '../channels/line-works.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import { lineWorksAppCredentials, type TokenSource } from '../tokens.ts';
import type { UserRow } from '../users.ts';

const SCOPES = ['bot', 'user.read'] as const;

/** The member's resource id: cached, else looked up and cached; null when LINE WORKS cannot say. */
export async function lineWorksResourceId(
  deps: { db: Db; tokens: TokenSource; apiBase: string; timeoutMs: number; log?: Logger },
  tenantId: string,
  creds: IntegrationCredentials,
  member: UserRow,
): Promise<string | null> {
  if (member.lineWorksResourceId) return member.lineWorksResourceId;
  const app = lineWorksAppCredentials(creds.settings, creds.secrets);
  if (!app) return null;
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await deps.tokens.lineWorks(tenantId, app, SCOPES);
    if (!token.ok) {
      deps.log?.warn('line works: no token to look up a member', { tenant: tenantId });
      return null;
    }
    const found = await getLineWorksUser({
      apiBase: deps.apiBase,
      accessToken: token.token,
      id: lineWorksUserIdOf(member),
      timeoutMs: deps.timeoutMs,
    });
    if (found.ok) {
      if (!found.user) return null; // LINE WORKS knows no such member
      await deps.db
        .update(users)
        .set({ lineWorksResourceId: found.user.userId, updatedAt: new Date().toISOString() })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, member.id)));
      return found.user.userId;
    }
    if (!(found.kind === 'retry' && found.tokenRejected)) {
      deps.log?.warn('line works: member lookup failed', {
        tenant: tenantId,
        reason: found.reason,
      });
      return null;
    }
    await deps.tokens.dropLineWorks(tenantId, app, SCOPES, token.token);
  }
  return null;
}
