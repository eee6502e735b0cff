// Unit: the one base64 helper (src/lib/base64.ts): RFC 4648 vectors, base64url, UTF-8 text,
// large inputs and what is refused.
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  parseBase64,
  textToBase64,
  textToBase64Url,
} from '../src/lib/base64.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('base64', () => {
  it('encodes and decodes the RFC 4648 §10 vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(bytesToBase64(bytes(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base64ToBytes(encoded))).toBe(plain);
    }
  });

  it('uses the URL alphabet without padding for base64url, and reads it back', () => {
    const all = new Uint8Array([0xfb, 0xff, 0xbf, 0xfe, 0x3e]);
    expect(bytesToBase64(all)).toBe('+/+//j4=');
    expect(bytesToBase64Url(all)).toBe('-_-__j4');
    expect([...base64UrlToBytes('-_-__j4')]).toEqual([...all]);
    expect([...base64UrlToBytes('-_-__j4=')]).toEqual([...all]);
    expect(() => base64UrlToBytes('a')).toThrow();
    expect(() => base64UrlToBytes('ab!c')).toThrow();
  });

  it('encodes text as UTF-8', () => {
    expect(textToBase64('連携')).toBe('6YCj5pC6');
    expect(textToBase64Url('Delivery:ÿ?')).toBe('RGVsaXZlcnk6w78_');
    expect(new TextDecoder().decode(base64UrlToBytes(textToBase64Url('acme/東京😀')))).toBe(
      'acme/東京😀',
    );
  });

  it('round-trips every byte value and inputs far past the argument limit', () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...base64ToBytes(bytesToBase64(every))]).toEqual([...every]);
    const big = new Uint8Array(300_000).map((_, i) => (i * 7919) % 256);
    const encoded = bytesToBase64(big);
    expect(encoded.length).toBe(400_000);
    expect(base64ToBytes(encoded)).toEqual(big);
    expect(base64UrlToBytes(bytesToBase64Url(big))).toEqual(big);
  });

  it('parses outside input only when it is base64', () => {
    expect([...(parseBase64('Zm9v') ?? [])]).toEqual([...bytes('foo')]);
    expect([...(parseBase64('Zg==') ?? [])]).toEqual([...bytes('f')]);
    for (const bad of ['', ' Zm9v', 'Zm9v\n', 'Zm-_', 'Zg===', '====', 'Z', 'not base64!']) {
      expect(parseBase64(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});
