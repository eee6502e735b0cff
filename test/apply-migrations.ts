import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { shardBindings } from '../src/db/shards.ts';

for (const d1 of shardBindings(env)) await applyD1Migrations(d1, env.TEST_MIGRATIONS);
