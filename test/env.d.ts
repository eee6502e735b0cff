import type { D1Migration } from '@cloudflare/vitest-plugin';
import type { FakeBases } from './fakes/index.ts';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

declare module 'vitest' {
  interface ProvidedContext {
    fakes: FakeBases;
    committedSchema: string;
    contract: string;
  }
}
