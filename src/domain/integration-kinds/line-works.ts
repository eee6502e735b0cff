/** LINE WORKS messenger bot (API 2.0): https://developers.worksmobile.com/jp/docs/bot-api */
import * as z from 'zod/mini';
import { lineWorksPerMinute } from '../limits.ts';
import { defineKind, link, locale, matching, perMinute, secret, text, token } from './define.ts';
import { LINE_WORKS_APP_FIELDS, lineWorksApp } from './line-works-app.ts';

export const lineWorksKind = defineKind({
  kind: 'LINE_WORKS',
  description:
    "LINE WORKS messenger bot (API 2.0, service account). The seed's API 1.0 fields map onto these.",
  fields: {
    domainId: lineWorksApp.domainId,
    adminEmail: text(z.email('adminEmail must be an email address').check(z.maxLength(320))),
    clientId: lineWorksApp.clientId,
    clientSecret: lineWorksApp.clientSecret,
    serviceAccount: lineWorksApp.serviceAccount,
    privateKey: lineWorksApp.privateKey,
    botId: text(matching(/^\d{1,20}$/, 'botId is the numeric Bot ID'), {
      input: 'Registered automatically on save when not given',
    }),
    botSecret: secret(token('botSecret', 500)),
    // v2: where the bot's button clicks arrive; Renkei sets it on the bot (bot-registration.ts).
    callbackUrl: link(
      (tenantId) => `/line-works/callback/${encodeURIComponent(tenantId)}`,
      "Where the bot's button clicks arrive (set on the bot by Renkei)",
    ),
    rateLimitPerMinute: perMinute(lineWorksPerMinute, {
      input: "Requests per minute of the tenant's LINE WORKS plan (default 240; Free: 60)",
      output:
        'LINE WORKS API requests per minute this tenant may send (240 on Standard/Advanced, 60 on Free)',
    }),
    locale: locale({
      input: "Language of the bot's name and description when it is registered (JA)",
      output: "The company's language for the bot's name and description (JA when unset)",
    }),
  },
  required: () => [...LINE_WORKS_APP_FIELDS, 'adminEmail'],
});
