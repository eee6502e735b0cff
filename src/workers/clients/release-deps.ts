/** What releasing HELD deliveries needs on one shard: its D1, the queue, the hub, digest links. */
import type { Db } from '../../db/client.ts';
import { digestListUrl, type ReleaseDeps } from '../../domain/preferences/index.ts';
import { publishUpdates } from './delivery-updates.ts';

export function releaseDeps(env: Env, db: Db): ReleaseDeps {
  return {
    db,
    queue: env.DELIVERY_QUEUE,
    publish: (tenantId, updates) => publishUpdates(env, tenantId, updates),
    listUrl: (tenantId, digestId) =>
      digestListUrl(env.PUBLIC_BASE_URL, env.SECRETS_KEY, tenantId, digestId),
  };
}
