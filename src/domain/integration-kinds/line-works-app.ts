/**
 * The LINE WORKS app credentials (Developer Console: Client ID and secret, service account,
 * its private key) that the messenger bot and the calendar integration both enter.
 * https://developers.worksmobile.com/jp/docs/auth-jwt
 */
import * as z from 'zod/mini';
import { validatePrivateKey } from '../../adapters/line-works/index.ts';
import { matching, secret, text, token } from './define.ts';

/** A PKCS#8 RSA key the token endpoint will accept, checked on save. */
const privateKey = z
  .string()
  .check(z.trim(), z.maxLength(16_384, 'privateKey is too long'), async (ctx) => {
    const check = await validatePrivateKey(ctx.value);
    if (!check.ok) ctx.issues.push({ code: 'custom', message: check.reason, input: ctx.value });
  });

export const lineWorksApp = {
  domainId: text(
    matching(/^[A-Za-z0-9_-]{1,64}$/, 'domainId is the Domain ID shown in the Developer Console'),
  ),
  clientId: text(token('clientId', 200)),
  clientSecret: secret(token('clientSecret', 500)),
  serviceAccount: text(
    matching(/^[^\s@]+@[^\s@]+$/, 'serviceAccount looks like xxxx.serviceaccount@your-domain', 320),
  ),
  privateKey: secret(privateKey, { input: 'PKCS#8 PEM' }),
};

/** The credentials an enabled integration needs unless it borrows the messenger's. */
export const LINE_WORKS_APP_FIELDS = Object.keys(lineWorksApp);
