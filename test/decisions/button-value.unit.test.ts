// Unit: the decision button value names a delivery and an action and is bound to the tenant by a
// MAC; any edit is refused.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  BUTTON_VALUE_MAX,
  decodeButtonValue,
  encodeButtonValue,
} from '../../src/domain/decisions/button-value.ts';

const DELIVERY = '01a2330000000000aaaabbbbccccdddd';

describe('decision button value', () => {
  it('round-trips and stays far under LINE’s 300 characters', async () => {
    const v = await encodeButtonValue(env.SECRETS_KEY, 't-1', DELIVERY, 'RETURN');
    expect(v).toMatch(/^rk1\.01a2330000000000aaaabbbbccccdddd\.R\.[A-Za-z0-9_-]{22}$/);
    expect(v.length).toBeLessThan(BUTTON_VALUE_MAX);
    expect(await decodeButtonValue(env.SECRETS_KEY, 't-1', v)).toEqual({
      deliveryId: DELIVERY,
      action: 'RETURN',
    });
  });

  it('refuses another tenant, another action, another delivery, junk', async () => {
    const v = await encodeButtonValue(env.SECRETS_KEY, 't-1', DELIVERY, 'APPROVE');
    expect(await decodeButtonValue(env.SECRETS_KEY, 't-2', v)).toBeNull();
    expect(await decodeButtonValue(env.SECRETS_KEY, 't-1', v.replace('.A.', '.J.'))).toBeNull();
    const other = `${DELIVERY.slice(0, -1)}e`;
    expect(await decodeButtonValue(env.SECRETS_KEY, 't-1', v.replace(DELIVERY, other))).toBeNull();
    for (const junk of [null, 42, '', 'rk1', `${v}x`, 'x'.repeat(301)]) {
      expect(await decodeButtonValue(env.SECRETS_KEY, 't-1', junk)).toBeNull();
    }
  });
});
