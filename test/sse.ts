/** Test helper: a GraphQL subscription over SSE through the Worker's own fetch. */
import { exports } from 'cloudflare:workers';

/** Opens an SSE subscription with a raw fetch and collects `next` payloads as they arrive. */
export async function openSse(
  query: string,
  bearer: string,
  variables: Record<string, unknown> = {},
) {
  const res = await exports.default.fetch('https://renkei.test/graphql', {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: `Bearer ${bearer}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const received: any[] = [];
  let buffer = '';
  let opened!: () => void;
  const ready = new Promise<void>((r) => {
    opened = r;
  });
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      opened();
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('');
        if (frame.includes('event: next') && data) received.push(JSON.parse(data));
        cut = buffer.indexOf('\n\n');
      }
    }
  })();
  await ready;
  return {
    status: res.status,
    received,
    async close() {
      await reader.cancel();
      await pump.catch(() => undefined);
    },
  };
}
